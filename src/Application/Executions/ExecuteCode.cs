using System.Text;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Files;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Application.Executions;

/// <summary>Run <see cref="Code"/> once in a fresh sandbox.</summary>
public sealed record ExecuteCodeCommand(
    string Code,
    string? Stdin,
    int TimeoutMs,
    bool LastLineInteractive,
    IReadOnlyList<WorkspaceFileReference> Files) : ICommand<ExecutionResult>;

/// <summary>A stored file to place at <see cref="Path"/> in the workspace before the code runs.</summary>
public sealed record WorkspaceFileReference(string Path, string FileId);

public sealed partial class ExecuteCodeHandler(
    ISandboxProvider sandboxes,
    ServiceReadiness readiness,
    ExecutionSlots slots,
    IOptions<ExecutionOptions> options,
    ILogger<ExecuteCodeHandler> logger) : ICommandHandler<ExecuteCodeCommand, ExecutionResult>
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<ExecutionResult> Handle(ExecuteCodeCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        Validate(command, limits);

        // Stored files arrive with the files feature; until then no id can be known.
        if (command.Files.Count > 0)
        {
            throw new NotFoundException($"File with ID '{command.Files[0].FileId}' not found");
        }

        if (!readiness.IsReady)
        {
            throw new ServiceUnavailableException(
                $"The service is not ready to run code yet: {readiness.Reason}", NotReadyRetryAfter);
        }

        var request = new SandboxRequest(
            ExecutionId: Guid.NewGuid().ToString("N")[..16],
            command.Code,
            command.Stdin,
            command.LastLineInteractive,
            TimeSpan.FromMilliseconds(command.TimeoutMs),
            new SandboxLimits(limits.MemoryLimitMb, limits.CpuTimeLimitSec, limits.MaxOutputBytes));

        ExecutionResult result;
        using (await slots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            result = await sandboxes.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }

        LogExecuted(request.ExecutionId, (long)result.Duration.TotalMilliseconds, result.ExitCode, result.TimedOut, result.OomKilled);
        return result;
    }

    private static void Validate(ExecuteCodeCommand command, ExecutionOptions limits)
    {
        if (string.IsNullOrWhiteSpace(command.Code))
        {
            throw new RequestValidationException("code", "code must not be empty");
        }

        if (Encoding.UTF8.GetByteCount(command.Code) > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("code", $"code exceeds maximum of {limits.MaxCodeBytes} bytes");
        }

        if (command.Stdin is not null && Encoding.UTF8.GetByteCount(command.Stdin) > limits.MaxStdinBytes)
        {
            throw new RequestValidationException("stdin", $"stdin exceeds maximum of {limits.MaxStdinBytes} bytes");
        }

        if (command.TimeoutMs < 1)
        {
            throw new RequestValidationException("timeout_ms", "timeout_ms must be at least 1 ms");
        }

        if (command.TimeoutMs > limits.MaxExecTimeoutMs)
        {
            throw new RequestValidationException("timeout_ms", $"timeout_ms exceeds maximum of {limits.MaxExecTimeoutMs} ms");
        }

        foreach (var file in command.Files)
        {
            if (!WorkspacePath.TryParse(file.Path, out _, out var error))
            {
                throw new RequestValidationException("files", error!);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Execution {ExecutionId} finished in {DurationMs} ms: exit_code={ExitCode} timed_out={TimedOut} oom_killed={OomKilled}")]
    private partial void LogExecuted(string executionId, long durationMs, int? exitCode, bool timedOut, bool oomKilled);
}
