using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Sessions;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>Sessions of which only <see cref="Known"/> exists; keeps what reached them.</summary>
internal sealed class RecordingSessions : ISessionProvider
{
    public const string Known = "code-session-0123456789abcdef0123456789abcdef";

    public SessionSpec? Opened { get; private set; }

    public SandboxRequest? Executed { get; private set; }

    public ShellCommand? Shell { get; private set; }

    public Task<OpenedSession> OpenAsync(SessionSpec spec, CancellationToken cancellationToken)
    {
        Opened = spec;
        return Task.FromResult(new OpenedSession(Known, DateTimeOffset.UnixEpoch + spec.Ttl));
    }

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
