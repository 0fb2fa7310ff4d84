using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Domain.Tests.Files;

public sealed class StoredFileNameTests
{
    [TestCase("report.csv", "report.csv")]
    [TestCase("données été.txt", "données été.txt")]
    [TestCase("../../etc/passwd", "passwd")]
    [TestCase("C:\\fakepath\\report.csv", "report.csv")]
    [TestCase("dir/", "dir")]
    [TestCase("a\r\nb\0c.txt", "abc.txt")]
    [TestCase("evil\u202Etxt.exe", "eviltxt.exe")]
    [TestCase("  spaced.txt  ", "spaced.txt")]
    [TestCase("", "file")]
    [TestCase(null, "file")]
    [TestCase("/", "file")]
    [TestCase("..", "file")]
    [TestCase("\u0001\u0002", "file")]
    public void Sanitize_keeps_only_a_plain_name(string? raw, string expected)
    {
        StoredFileName.Sanitize(raw).Should().Be(expected);
    }

    [Test]
    public void Sanitize_bounds_the_length_without_splitting_a_character()
    {
        var name = new string('a', 254) + "😀😀";

        var sanitised = StoredFileName.Sanitize(name);

        sanitised.Length.Should().BeLessThanOrEqualTo(StoredFileName.MaxLength);
        sanitised.Should().Be(new string('a', 254));
    }
}
