using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Sessions;

namespace CodeInterpreter.Application.Tests.Sessions;

public sealed class SessionRulesTests
{
    private static readonly ExecutionOptions Defaults = new();

    [TestCase(1)]
    [TestCase(86_400)]
    public void A_ttl_within_1_second_and_a_day_is_kept(int ttlSeconds) =>
        SessionRules.CheckTtl(ttlSeconds).Should().Be(TimeSpan.FromSeconds(ttlSeconds));

    [TestCase(0)]
    [TestCase(86_401)]
    public void A_ttl_outside_1_second_and_a_day_is_refused(int ttlSeconds)
    {
        var check = () => SessionRules.CheckTtl(ttlSeconds);

        check.Should().Throw<RequestValidationException>().Which.Field.Should().Be("ttl_seconds");
    }

    [Test]
    public void Staged_files_keep_their_parsed_paths_and_ids()
    {
        var staged = SessionRules.CheckFiles([new WorkspaceFileReference("in/a.csv", "id-a")], Defaults);

        var (path, fileId) = staged.Should().ContainSingle().Subject;
        path.Value.Should().Be("in/a.csv");
        fileId.Should().Be("id-a");
    }

    [TestCase("../a.csv", "File paths must")]
    [TestCase("/etc/passwd", "File paths must")]
    public void An_illegal_staged_path_is_refused(string path, string messageStart)
    {
        var check = () => SessionRules.CheckFiles([new WorkspaceFileReference(path, "id")], Defaults);

        check.Should().Throw<RequestValidationException>().Which.Message.Should().StartWith(messageStart);
    }

    [Test]
    public void The_same_path_staged_twice_is_refused()
    {
        var check = () => SessionRules.CheckFiles(
            [new WorkspaceFileReference("a.csv", "one"), new WorkspaceFileReference("a.csv", "two")], Defaults);

        check.Should().Throw<RequestValidationException>().WithMessage("File paths must be unique*");
    }

    [Test]
    public void A_bash_timeout_up_to_the_servers_maximum_is_kept() =>
        SessionRules.CheckShell("ls", 90_000, new ExecutionOptions { MaxExecTimeoutMs = 90_000 }).Should().Be(TimeSpan.FromSeconds(90));

    [Test]
    public void A_bash_timeout_over_the_servers_maximum_is_refused_naming_it()
    {
        var check = () => SessionRules.CheckShell("ls", 10_001, new ExecutionOptions { MaxExecTimeoutMs = 10_000 });

        check.Should().Throw<RequestValidationException>().WithMessage("timeout_ms exceeds maximum of 10000 ms");
    }

    [TestCase("", 1000, "cmd must not be empty")]
    [TestCase("ls\0", 1000, "cmd must not contain NUL")]
    [TestCase("ls", 0, "timeout_ms must be at least 1 ms")]
    public void A_bad_bash_command_or_timeout_is_refused(string cmd, int timeoutMs, string message)
    {
        var check = () => SessionRules.CheckShell(cmd, timeoutMs, Defaults);

        check.Should().Throw<RequestValidationException>().WithMessage(message);
    }
}
