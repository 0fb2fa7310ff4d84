using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Domain.Tests.Files;

public sealed class WorkspacePathTests
{
    [TestCase("data.csv")]
    [TestCase("inputs/2024/data.csv")]
    [TestCase("with space.txt")]
    public void Accepts_relative_paths_inside_the_workspace(string raw)
    {
        WorkspacePath.TryParse(raw, out var path, out var error).Should().BeTrue();

        path!.Value.Should().Be(raw);
        error.Should().BeNull();
    }

    [TestCase(null, "empty")]
    [TestCase("", "empty")]
    [TestCase("  ", "empty")]
    [TestCase("/etc/passwd", "absolute")]
    [TestCase("..", "'..'")]
    [TestCase("a/../../etc", "'..'")]
    [TestCase("a//b", "empty or '.'")]
    [TestCase("./a", "empty or '.'")]
    [TestCase("a\0b", "control characters")]
    [TestCase("runner.py", "runner's own name")]
    public void Rejects_paths_that_could_escape_or_clash(string? raw, string reason)
    {
        WorkspacePath.TryParse(raw, out var path, out var error).Should().BeFalse();

        path.Should().BeNull();
        error.Should().StartWith("File paths must").And.Contain(reason);
    }

    [Test]
    public void Rejects_paths_longer_than_the_maximum()
    {
        WorkspacePath.TryParse(new string('a', WorkspacePath.MaxLength + 1), out _, out var error).Should().BeFalse();

        error.Should().Contain("at most");
    }
}
