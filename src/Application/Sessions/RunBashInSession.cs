namespace CodeInterpreter.Application.Sessions;

/// <summary>Run the shell command <see cref="Cmd"/> in session <see cref="SessionId"/>'s workspace.</summary>
public sealed record RunBashInSessionCommand(string SessionId, string? Cmd, int TimeoutMs) : ICommand<ShellResult>;

/// <remarks>Reaches here only past <see cref="RunBashInSessionValidator"/>.</remarks>
public sealed partial class RunBashInSessionHandler(
    ISessionProvider sessions,
    ISessionDirectory directory,
    IOptions<ExecutionOptions> options,
    ILogger<RunBashInSessionHandler> logger) : ICommandHandler<RunBashInSessionCommand, ShellResult>
{
    public async ValueTask<ShellResult> Handle(RunBashInSessionCommand command, CancellationToken cancellationToken)
    {
        var shell = new ShellCommand(command.Cmd!, TimeSpan.FromMilliseconds(command.TimeoutMs), options.Value.MaxOutputBytes);

        var result = await sessions.RunShellAsync(command.SessionId, shell, cancellationToken).ConfigureAwait(false)
            ?? throw await SessionErrors.MissingAsync(directory, command.SessionId, cancellationToken).ConfigureAwait(false);

        LogRan(command.SessionId, (long)result.Duration.TotalMilliseconds, result.ExitCode, result.TimedOut);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session {SessionId}: shell command finished in {DurationMs} ms: exit_code={ExitCode} timed_out={TimedOut}")]
    private partial void LogRan(string sessionId, long durationMs, int? exitCode, bool timedOut);
}
