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
    IFileStore files,
    ServiceReadiness readiness,
    ExecutionSlots slots,
    IOptions<ExecutionOptions> options,
    ILogger<ExecuteCodeHandler> logger) : ICommandHandler<ExecuteCodeCommand, ExecutionResult>
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<ExecutionResult> Handle(ExecuteCodeCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var paths = Validate(command, limits);

        var inputs = await LoadInputFilesAsync(command.Files, paths, limits, cancellationToken).ConfigureAwait(false);

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
            new SandboxLimits(limits.MemoryLimitMb, limits.CpuTimeLimitSec, limits.MaxOutputBytes)
            {
                MaxGeneratedFiles = limits.MaxFilesPerExecution,
                MaxGeneratedBytes = limits.MaxFilesBytesPerExecution,
            })
        {
            InputFiles = inputs,
            GeneratedFiles = new GeneratedFileStore(files),
        };

        ExecutionResult result;
        using (await slots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            result = await sandboxes.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }

        LogExecuted(request.ExecutionId, (long)result.Duration.TotalMilliseconds, result.ExitCode, result.TimedOut, result.OomKilled);
        return result;
    }

    /// <summary>Checks the request against the limits; returns the parsed paths of <c>files</c>, in order.</summary>
    private static List<WorkspacePath> Validate(ExecuteCodeCommand command, ExecutionOptions limits)
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

        if (command.Files.Count > limits.MaxFilesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesPerExecution} per execution");
        }

        var paths = new List<WorkspacePath>(command.Files.Count);
        foreach (var file in command.Files)
        {
            if (!WorkspacePath.TryParse(file.Path, out var path, out var error))
            {
                throw new RequestValidationException("files", error);
            }

            if (paths.Contains(path))
            {
                throw new RequestValidationException("files", $"File paths must be unique: '{path.Value}' is given twice");
            }

            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Resolves every staged file (404 for an unknown id) and reads it, within the per-execution bound.</summary>
    private async Task<IReadOnlyList<SandboxInputFile>> LoadInputFilesAsync(
        IReadOnlyList<WorkspaceFileReference> references, List<WorkspacePath> paths, ExecutionOptions limits,
        CancellationToken cancellationToken)
    {
        var stored = new List<(WorkspacePath Path, StoredFile File)>(references.Count);
        long total = 0;
        for (var i = 0; i < references.Count; i++)
        {
            var file = await files.GetAsync(references[i].FileId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"File with ID '{references[i].FileId}' not found");
            total += file.SizeBytes;
            stored.Add((paths[i], file));
        }

        if (total > limits.MaxFilesBytesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesMbPerExecution} MB per execution");
        }

        var inputs = new List<SandboxInputFile>(stored.Count);
        foreach (var (path, file) in stored)
        {
            var content = await files.OpenReadAsync(file.FileId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"File with ID '{file.FileId}' not found");
            await using (content.ConfigureAwait(false))
            {
                var bytes = new byte[file.SizeBytes];
                await content.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                inputs.Add(new SandboxInputFile(path, bytes));
            }
        }

        return inputs;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Execution {ExecutionId} finished in {DurationMs} ms: exit_code={ExitCode} timed_out={TimedOut} oom_killed={OomKilled}")]
    private partial void LogExecuted(string executionId, long durationMs, int? exitCode, bool timedOut, bool oomKilled);
}
