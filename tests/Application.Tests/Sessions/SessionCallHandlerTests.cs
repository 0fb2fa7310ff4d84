using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Sessions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Sessions;

namespace CodeInterpreter.Application.Tests.Sessions;

/// <summary>The use cases of calls into an open session (code and shell commands), sent through the mediator.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SessionCallHandlerTests : IDisposable
{
    private const string Known = RecordingSessions.Known;

    private readonly ApplicationUnderTest _app = new();

    public void Dispose() => _app.Dispose();

    private RecordingSessions Sessions => _app.Sessions;

    [Test]
    public async Task A_call_reaches_the_session_with_its_code_timeout_env_and_args()
    {
        var command = new ExecuteInSessionCommand(Known, "x + 1", "in", 3000, true)
        {
            Env = new Dictionary<string, string> { ["MODE"] = "test" },
            Args = ["--fast"],
        };

        var result = await _app.Send(command);

        result.Execution.Stdout.Should().Be("2\n");
        var request = Sessions.Executed!;
        request.Code.Should().Be("x + 1");
        request.Stdin.Should().Be("in");
        request.Timeout.Should().Be(TimeSpan.FromSeconds(3));
        request.LastLineInteractive.Should().BeTrue();
        request.Env.Should().Equal(new Dictionary<string, string> { ["MODE"] = "test" });
        request.Argv.Should().Equal("--fast");
        request.GeneratedFiles.Should().NotBeNull("files a call writes are returned like an execution's");
    }

    [Test]
    public async Task A_call_into_an_unknown_session_is_not_found()
    {
        var call = () => _app.Send(new ExecuteInSessionCommand("code-session-unknown", "1", null, 1000, true)).AsTask();

        await call.Should().ThrowAsync<NotFoundException>().WithMessage("Session 'code-session-unknown' not found");
    }

    [Test]
    public async Task A_call_into_a_session_whose_replica_died_is_gone_saying_so()
    {
        _app.SessionDirectory.Entries["code-session-lost"] = new SessionLocation(
            "code-session-lost", null, "replica-a", null, "c0ffee", DateTimeOffset.UtcNow.AddMinutes(5)) { LostAt = DateTimeOffset.UtcNow };

        var execute = () => _app.Send(new ExecuteInSessionCommand("code-session-lost", "1", null, 1000, true)).AsTask();
        var shell = () => _app.Send(new RunBashInSessionCommand("code-session-lost", "ls", 1000)).AsTask();

        await execute.Should().ThrowAsync<GoneException>().WithMessage("Session 'code-session-lost' is lost: the replica that held its sandbox (replica-a) stopped*");
        await shell.Should().ThrowAsync<GoneException>();
    }

    [Test]
    public async Task A_lost_session_of_another_caller_is_not_found_like_any_other_unknown_session()
    {
        _app.SessionDirectory.Entries["code-session-lost"] = new SessionLocation(
            "code-session-lost", "someone-else", "replica-a", null, "c0ffee", DateTimeOffset.UtcNow.AddMinutes(5)) { LostAt = DateTimeOffset.UtcNow };

        var execute = () => _app.Send(new ExecuteInSessionCommand("code-session-lost", "1", null, 1000, true)).AsTask();

        await execute.Should().ThrowAsync<NotFoundException>();
    }

    [TestCase("", 1000, "code")]
    [TestCase("1", 0, "timeout_ms")]
    [TestCase("1", 60_001, "timeout_ms")]
    public async Task An_invalid_call_is_refused_before_it_reaches_the_session(string code, int timeoutMs, string field)
    {
        var call = () => _app.Send(new ExecuteInSessionCommand(Known, code, null, timeoutMs, true)).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be(field);
        Sessions.Executed.Should().BeNull();
    }

    [Test]
    public async Task A_call_with_a_reserved_env_name_is_refused()
    {
        var command = new ExecuteInSessionCommand(Known, "1", null, 1000, true) { Env = new Dictionary<string, string> { ["LD_PRELOAD"] = "x" } };

        var call = () => _app.Send(command).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("env");
        Sessions.Executed.Should().BeNull();
    }

    [Test]
    public async Task A_call_with_stdin_over_its_limit_is_refused()
    {
        _app.Limits.MaxStdinBytes = 3;

        var call = () => _app.Send(new ExecuteInSessionCommand(Known, "1", "abcd", 1000, true)).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("stdin");
        Sessions.Executed.Should().BeNull();
    }

    [Test]
    public async Task A_shell_command_reaches_the_session_with_its_timeout_and_the_output_cap()
    {
        _app.Limits.MaxOutputBytes = 1234;

        var result = await _app.Send(new RunBashInSessionCommand(Known, "ls -la", 5000));

        result.Stdout.Should().Be("out");
        Sessions.Shell.Should().Be(new ShellCommand("ls -la", TimeSpan.FromSeconds(5), 1234));
    }

    [Test]
    public async Task A_shell_command_over_the_servers_maximum_is_refused_before_it_reaches_the_session()
    {
        _app.Limits.MaxExecTimeoutMs = 10_000;

        var call = () => _app.Send(new RunBashInSessionCommand(Known, "sleep 1", 10_001)).AsTask();

        await call.Should().ThrowAsync<RequestValidationException>().WithMessage("timeout_ms exceeds maximum of 10000 ms");
        Sessions.Shell.Should().BeNull();
    }

    [Test]
    public async Task A_shell_command_in_an_unknown_session_is_not_found()
    {
        var call = () => _app.Send(new RunBashInSessionCommand("code-session-gone", "ls", 1000)).AsTask();

        await call.Should().ThrowAsync<NotFoundException>().WithMessage("Session 'code-session-gone' not found");
    }

    [Test]
    public async Task A_session_opens_with_its_ttl_memory_and_staged_files()
    {
        _app.Readiness.MarkReady();
        var id = await _app.StoreAsync([9]);

        await _app.Send(new CreateSessionCommand([new Application.Executions.WorkspaceFileReference("in/a.bin", id)], 600) { MemoryLimitMb = 512 });

        var spec = Sessions.Opened!;
        spec.Ttl.Should().Be(TimeSpan.FromMinutes(10));
        spec.MemoryLimitMb.Should().Be(512);
        spec.InputFiles.Should().ContainSingle().Which.Path.Value.Should().Be("in/a.bin");
    }

    [Test]
    public async Task A_session_with_a_ttl_over_a_day_is_refused_before_it_opens()
    {
        _app.Readiness.MarkReady();

        var call = () => _app.Send(new CreateSessionCommand([], 86_401)).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("ttl_seconds");
        Sessions.Opened.Should().BeNull();
    }
}
