using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Sessions;

/// <summary>
/// Run <see cref="Code"/> in the persistent interpreter of session <see cref="SessionId"/>: variables,
/// imports and workspace files of earlier calls are there.
/// </summary>
public sealed record ExecuteInSessionCommand(
    string SessionId,
    string? Code,
    string? Stdin,
    int TimeoutMs,
    bool LastLineInteractive) : ICommand<SessionExecutionResult>, ICodeRequest
{
    /// <summary>Environment variables set for this call only.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary><c>sys.argv[1:]</c> during this call.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Follows the call as it runs (its output as it arrives); null when only the result is wanted.</summary>
    public IExecutionObserver? Observer { get; init; }
}

/// <remarks>Reaches here only past <see cref="ExecuteInSessionValidator"/>.</remarks>
public sealed partial class ExecuteInSessionHandler(
    ISessionProvider sessions,
    ISessionDirectory directory,
    IFileStore files,
    IOptions<ExecutionOptions> options,
    ILogger<ExecuteInSessionHandler> logger) : ICommandHandler<ExecuteInSessionCommand, SessionExecutionResult>
{
    public async ValueTask<SessionExecutionResult> Handle(ExecuteInSessionCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        // The session's sandbox keeps its own memory, files and image; the call's output and generated files are bounded like an execution's.
        var request = CodeCall.Of(command).ToSandboxRequest(limits, limits.MemoryLimitMb, cpus: null, files) with { Observer = command.Observer };

        // No execution slot: each session runs one call at a time and MAX_SESSIONS bounds the sessions,
        // while a slot held by a call queued behind a busy session would starve one-off executions.
        var result = await sessions.ExecuteAsync(command.SessionId, request, cancellationToken).ConfigureAwait(false)
            ?? throw await SessionErrors.MissingAsync(directory, command.SessionId, cancellationToken).ConfigureAwait(false);

        var execution = result.Execution;
        LogExecuted(command.SessionId, request.ExecutionId, (long)execution.Duration.TotalMilliseconds, execution.ExitCode,
            execution.TimedOut, execution.OomKilled, result.InterpreterRestarted);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session {SessionId}: execution {ExecutionId} finished in {DurationMs} ms: exit_code={ExitCode} timed_out={TimedOut} oom_killed={OomKilled} interpreter_restarted={InterpreterRestarted}")]
    private partial void LogExecuted(
        string sessionId, string executionId, long durationMs, int? exitCode, bool timedOut, bool oomKilled, bool interpreterRestarted);
}
