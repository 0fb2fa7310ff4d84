using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Sessions;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
    bool LastLineInteractive) : ICommand<SessionExecutionResult>
{
    /// <summary>Environment variables set for this call only.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary><c>sys.argv[1:]</c> during this call.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
}

public sealed partial class ExecuteInSessionHandler(
    ISessionProvider sessions,
    IFileStore files,
    IOptions<ExecutionOptions> options,
    ILogger<ExecuteInSessionHandler> logger) : ICommandHandler<ExecuteInSessionCommand, SessionExecutionResult>
{
    public async ValueTask<SessionExecutionResult> Handle(ExecuteInSessionCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        // The same rules as a one-off execution for what a call can carry (code, stdin, timeout, env, args).
        ExecutionRules.Check(
            new ExecuteCodeCommand(command.Code, command.Stdin, command.TimeoutMs, command.LastLineInteractive, [])
            {
                Env = command.Env,
                Args = command.Args,
            },
            limits);

        var request = new SandboxRequest(
            ExecutionId: Guid.NewGuid().ToString("N")[..16],
            command.Code!,
            command.Stdin,
            command.LastLineInteractive,
            TimeSpan.FromMilliseconds(command.TimeoutMs),
            new SandboxLimits(limits.MemoryLimitMb, limits.CpuTimeLimitSec, limits.MaxOutputBytes)
            {
                MaxGeneratedFiles = limits.MaxFilesPerExecution,
                MaxGeneratedBytes = limits.MaxFilesBytesPerExecution,
            })
        {
            GeneratedFiles = new GeneratedFileStore(files),
            Argv = command.Args,
            Env = command.Env,
        };

        // No execution slot: each session runs one call at a time and MAX_SESSIONS bounds the sessions,
        // while a slot held by a call queued behind a busy session would starve one-off executions.
        var result = await sessions.ExecuteAsync(command.SessionId, request, cancellationToken).ConfigureAwait(false)
            ?? throw SessionErrors.NotFound(command.SessionId);

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
