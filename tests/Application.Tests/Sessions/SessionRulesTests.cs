using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Sessions;

namespace CodeInterpreter.Application.Tests.Sessions;

/// <summary>The rules of requests about sessions, as their validators apply them.</summary>
public sealed class SessionRulesTests
{
    private static readonly ExecutionOptions Defaults = new();

    private static void Create(CreateSessionCommand command, ExecutionOptions? limits = null) =>
        new CreateSessionValidator(Microsoft.Extensions.Options.Options.Create(limits ?? Defaults)).Validate(command);

    private static void Bash(string cmd, int timeoutMs, ExecutionOptions? limits = null) =>
        new RunBashInSessionValidator(Microsoft.Extensions.Options.Options.Create(limits ?? Defaults))
            .Validate(new RunBashInSessionCommand("code-session-x", cmd, timeoutMs));

    [TestCase(1)]
    [TestCase(86_400)]
    public void A_ttl_within_1_second_and_a_day_is_kept(int ttlSeconds)
    {
        var check = () => Create(new CreateSessionCommand([], ttlSeconds));

        check.Should().NotThrow();
    }

    [TestCase(0)]
    [TestCase(86_401)]
    public void A_ttl_outside_1_second_and_a_day_is_refused(int ttlSeconds)
    {
        var check = () => Create(new CreateSessionCommand([], ttlSeconds));

        check.Should().Throw<RequestValidationException>().Which.Field.Should().Be("ttl_seconds");
    }

    [Test]
    public void Staged_files_keep_their_parsed_paths_and_ids()
    {
        Create(new CreateSessionCommand([new WorkspaceFileReference("in/a.csv", "id-a")], 60));

        var (path, fileId) = ExecutionPlan.StagedFiles([new WorkspaceFileReference("in/a.csv", "id-a")]).Should().ContainSingle().Subject;
        path.Value.Should().Be("in/a.csv");
        fileId.Should().Be("id-a");
    }

    [TestCase("../a.csv", "File paths must")]
    [TestCase("/etc/passwd", "File paths must")]
    public void An_illegal_staged_path_is_refused(string path, string messageStart)
    {
        var check = () => Create(new CreateSessionCommand([new WorkspaceFileReference(path, "id")], 60));

        check.Should().Throw<RequestValidationException>().Which.Message.Should().StartWith(messageStart);
    }

    [Test]
    public void The_same_path_staged_twice_is_refused()
    {
        var check = () => Create(new CreateSessionCommand(
            [new WorkspaceFileReference("a.csv", "one"), new WorkspaceFileReference("a.csv", "two")], 60));

        check.Should().Throw<RequestValidationException>().WithMessage("File paths must be unique*");
    }

    [Test]
    public void More_staged_files_than_the_maximum_are_refused_per_session()
    {
        var check = () => Create(
            new CreateSessionCommand([new WorkspaceFileReference("a", "1"), new WorkspaceFileReference("b", "2")], 60),
            new ExecutionOptions { MaxFilesPerExecution = 1 });

        check.Should().Throw<RequestValidationException>().WithMessage("files exceed maximum of 1 per session");
    }

    [Test]
    public void A_session_memory_limit_outside_its_bounds_is_refused()
    {
        var check = () => Create(new CreateSessionCommand([], 60) { MemoryLimitMb = 15 });

        check.Should().Throw<RequestValidationException>().Which.Field.Should().Be("memory_limit_mb");
    }

    [Test]
    public void A_bash_timeout_up_to_the_servers_maximum_is_kept()
    {
        var check = () => Bash("ls", 90_000, new ExecutionOptions { MaxExecTimeoutMs = 90_000 });

        check.Should().NotThrow();
    }

    [Test]
    public void A_bash_timeout_over_the_servers_maximum_is_refused_naming_it()
    {
        var check = () => Bash("ls", 10_001, new ExecutionOptions { MaxExecTimeoutMs = 10_000 });

        check.Should().Throw<RequestValidationException>().WithMessage("timeout_ms exceeds maximum of 10000 ms");
    }

    [TestCase("", 1000, "cmd must not be empty")]
    [TestCase("ls\0", 1000, "cmd must not contain NUL")]
    [TestCase("ls", 0, "timeout_ms must be at least 1 ms")]
    public void A_bad_bash_command_or_timeout_is_refused(string cmd, int timeoutMs, string message)
    {
        var check = () => Bash(cmd, timeoutMs);

        check.Should().Throw<RequestValidationException>().WithMessage(message);
    }
}
