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

/// <summary>Run <see cref="Code"/> (or the project in <see cref="Sources"/>) once in a fresh sandbox.</summary>
public sealed record ExecuteCodeCommand(
    string? Code,
    string? Stdin,
    int TimeoutMs,
    bool LastLineInteractive,
    IReadOnlyList<WorkspaceFileReference> Files) : ICommand<ExecutionResult>
{
    /// <summary>Environment variables added for the code.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary><c>sys.argv[1:]</c>.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Text files of a multi-file project, written into the workspace.</summary>
    public IReadOnlyList<SourceFile> Sources { get; init; } = [];

    /// <summary>The source to run as <c>__main__</c> (instead of <see cref="Code"/>).</summary>
    public string? Entrypoint { get; init; }

    public int? MemoryLimitMb { get; init; }

    public double? CpuLimit { get; init; }

    public bool Network { get; init; }

    public string? PythonVersion { get; init; }

    public string? Image { get; init; }

    /// <summary>Follows the run as it happens (not part of the request body).</summary>
    public IExecutionObserver? Observer { get; init; }
}

/// <summary>A stored file to place at <see cref="Path"/> in the workspace before the code runs.</summary>
public sealed record WorkspaceFileReference(string Path, string FileId);

/// <summary>An inline text file of a project.</summary>
public sealed record SourceFile(string Path, string Content);

public sealed partial class ExecuteCodeHandler(
    ISandboxProvider sandboxes,
    IFileStore files,
    ServiceReadiness readiness,
    ExecutionSlots slots,
    IExecutionMetrics metrics,
    IOptions<ExecutionOptions> options,
    ILogger<ExecuteCodeHandler> logger) : ICommandHandler<ExecuteCodeCommand, ExecutionResult>
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<ExecutionResult> Handle(ExecuteCodeCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var plan = ExecutionRules.Check(command, limits);
        var inputs = await LoadInputFilesAsync(command.Files, plan.FilePaths, limits, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await RunAsync(command, plan, inputs, limits, cancellationToken).ConfigureAwait(false);
            metrics.Record(ExecutionOutcomes.Of(result), result.Duration);
            return result;
        }
        catch (Exception ex)
        {
            // Invalid requests never got here: what is counted is every execution the service took on.
            metrics.Record(ExecutionOutcomes.Of(ex), codeDuration: null);
            throw;
        }
    }

    private async Task<ExecutionResult> RunAsync(
        ExecuteCodeCommand command, ExecutionPlan plan, IReadOnlyList<SandboxInputFile> inputs, ExecutionOptions limits,
        CancellationToken cancellationToken)
    {
        if (!readiness.IsReady)
        {
            throw new ServiceUnavailableException(
                $"The service is not ready to run code yet: {readiness.Reason}", NotReadyRetryAfter);
        }

        var request = new SandboxRequest(
            ExecutionId: Guid.NewGuid().ToString("N")[..16],
            command.Code ?? string.Empty,
            command.Stdin,
            command.LastLineInteractive,
            TimeSpan.FromMilliseconds(command.TimeoutMs),
            new SandboxLimits(plan.MemoryLimitMb, limits.CpuTimeLimitSec, limits.MaxOutputBytes)
            {
                MaxGeneratedFiles = limits.MaxFilesPerExecution,
                MaxGeneratedBytes = limits.MaxFilesBytesPerExecution,
                Cpus = plan.CpuLimit,
            })
        {
            InputFiles = [.. plan.Sources.Select(s => new SandboxInputFile(s.Path, s.Content)), .. inputs],
            GeneratedFiles = new GeneratedFileStore(files),
            Argv = command.Args,
            Env = command.Env,
            Entrypoint = plan.Entrypoint,
            Network = plan.Network,
            Image = plan.Image,
            Observer = command.Observer,
        };

        ExecutionResult result;
        using (await slots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            result = await sandboxes.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }

        LogExecuted(request.ExecutionId, (long)result.Duration.TotalMilliseconds, result.ExitCode, result.TimedOut, result.OomKilled);
        return result;
    }

    /// <summary>Resolves every staged file (404 for an unknown id) and reads it, within the per-execution bound.</summary>
    private async Task<IReadOnlyList<SandboxInputFile>> LoadInputFilesAsync(
        IReadOnlyList<WorkspaceFileReference> references, IReadOnlyList<WorkspacePath> paths, ExecutionOptions limits,
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
