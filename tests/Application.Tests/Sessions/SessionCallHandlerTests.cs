using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Sessions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Application.Tests.Sessions;

/// <summary>The handlers of calls into an open session: code and shell commands.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SessionCallHandlerTests
{
    private const string Known = "code-session-0123456789abcdef0123456789abcdef";

    private sealed class RecordingSessions : ISessionProvider
    {
        public SandboxRequest? Executed { get; private set; }

        public ShellCommand? Shell { get; private set; }

        public Task<OpenedSession> OpenAsync(SessionSpec spec, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<SessionExecutionResult?> ExecuteAsync(string sessionId, SandboxRequest request, CancellationToken cancellationToken)
        {
            Executed = request;
            return Task.FromResult(sessionId == Known
                ? new SessionExecutionResult(new ExecutionResult("2\n", "", 0, false, TimeSpan.FromMilliseconds(1), false, false, false, null), false)
                : null);
        }

        public Task<ShellResult?> RunShellAsync(string sessionId, ShellCommand command, CancellationToken cancellationToken)
        {
            Shell = command;
            return Task.FromResult(sessionId == Known
                ? new ShellResult("out", "", 0, false, TimeSpan.FromMilliseconds(1), false, false)
                : null);
        }

        public Task<bool> CloseAsync(string sessionId, CancellationToken cancellationToken) => Task.FromResult(sessionId == Known);
    }

    private readonly RecordingSessions _sessions = new();

    private ExecuteInSessionHandler ExecuteHandler(ExecutionOptions? options = null) => new(
        _sessions, new InMemoryFileStore(), Microsoft.Extensions.Options.Options.Create(options ?? new ExecutionOptions()),
        NullLogger<ExecuteInSessionHandler>.Instance);

    private RunBashInSessionHandler BashHandler(ExecutionOptions? options = null) => new(
        _sessions, Microsoft.Extensions.Options.Options.Create(options ?? new ExecutionOptions()),
        NullLogger<RunBashInSessionHandler>.Instance);

    [Test]
    public async Task A_call_reaches_the_session_with_its_code_timeout_env_and_args()
    {
        var command = new ExecuteInSessionCommand(Known, "x + 1", "in", 3000, true)
        {
            Env = new Dictionary<string, string> { ["MODE"] = "test" },
            Args = ["--fast"],
        };

        var result = await ExecuteHandler().Handle(command, CancellationToken.None);

        result.Execution.Stdout.Should().Be("2\n");
        var request = _sessions.Executed!;
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
        var call = () => ExecuteHandler().Handle(new ExecuteInSessionCommand("code-session-unknown", "1", null, 1000, true), CancellationToken.None).AsTask();

        await call.Should().ThrowAsync<NotFoundException>().WithMessage("Session 'code-session-unknown' not found");
    }

    [TestCase("", 1000, "code")]
    [TestCase("1", 0, "timeout_ms")]
    [TestCase("1", 60_001, "timeout_ms")]
    public async Task An_invalid_call_is_refused_before_it_reaches_the_session(string code, int timeoutMs, string field)
    {
        var call = () => ExecuteHandler().Handle(new ExecuteInSessionCommand(Known, code, null, timeoutMs, true), CancellationToken.None).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be(field);
        _sessions.Executed.Should().BeNull();
    }

    [Test]
    public async Task A_call_with_a_reserved_env_name_is_refused()
    {
        var command = new ExecuteInSessionCommand(Known, "1", null, 1000, true) { Env = new Dictionary<string, string> { ["LD_PRELOAD"] = "x" } };

        var call = () => ExecuteHandler().Handle(command, CancellationToken.None).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("env");
        _sessions.Executed.Should().BeNull();
    }

    [Test]
    public async Task A_shell_command_reaches_the_session_with_its_timeout_and_the_output_cap()
    {
        var result = await BashHandler(new ExecutionOptions { MaxOutputBytes = 1234 })
            .Handle(new RunBashInSessionCommand(Known, "ls -la", 5000), CancellationToken.None);

        result.Stdout.Should().Be("out");
        _sessions.Shell.Should().Be(new ShellCommand("ls -la", TimeSpan.FromSeconds(5), 1234));
    }

    [Test]
    public async Task A_shell_command_over_the_servers_maximum_is_refused_before_it_reaches_the_session()
    {
        var call = () => BashHandler(new ExecutionOptions { MaxExecTimeoutMs = 10_000 })
            .Handle(new RunBashInSessionCommand(Known, "sleep 1", 10_001), CancellationToken.None).AsTask();

        await call.Should().ThrowAsync<RequestValidationException>().WithMessage("timeout_ms exceeds maximum of 10000 ms");
        _sessions.Shell.Should().BeNull();
    }

    [Test]
    public async Task A_shell_command_in_an_unknown_session_is_not_found()
    {
        var call = () => BashHandler().Handle(new RunBashInSessionCommand("code-session-gone", "ls", 1000), CancellationToken.None).AsTask();

        await call.Should().ThrowAsync<NotFoundException>().WithMessage("Session 'code-session-gone' not found");
    }
}
