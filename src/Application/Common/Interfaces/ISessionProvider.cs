namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Keeps sessions: long-lived, locked-down sandboxes with a persistent Python interpreter and
/// workspace, each used by one client through its id. A session belongs to the caller that opened it
/// (<see cref="CallerContext.Owner"/>): for anyone else it is unknown. Calls to one session run one
/// at a time.
/// </summary>
public interface ISessionProvider
{
    /// <summary>Opens a session with <paramref name="spec"/>'s files in its workspace.</summary>
    /// <exception cref="Exceptions.TooManyRequestsException">MAX_SESSIONS sessions are open.</exception>
    Task<OpenedSession> OpenAsync(SessionSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="request"/>'s code in the session's interpreter (its limits, input files and
    /// image are the session's, not the request's). The deadline is enforced here: a timed-out call
    /// is interrupted and reported, and the session stays usable. Null when the session is unknown.
    /// </summary>
    Task<SessionExecutionResult?> ExecuteAsync(string sessionId, SandboxRequest request, CancellationToken cancellationToken);

    /// <summary>Runs a shell command in the session's sandbox; null when the session is unknown.</summary>
    Task<ShellResult?> RunShellAsync(string sessionId, ShellCommand command, CancellationToken cancellationToken);

    /// <summary>Closes the session and removes its sandbox; false when the session is unknown.</summary>
    Task<bool> CloseAsync(string sessionId, CancellationToken cancellationToken);
}
