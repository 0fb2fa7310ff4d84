using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Executions;

/// <summary>
/// Runs a planned execution once in a fresh sandbox: reads its staged files, waits for a slot, runs
/// it, counts it by its outcome and logs it. The one way for <c>/v1/execute</c> (and its stream) and
/// for a submitted execution in the background.
/// </summary>
internal sealed partial class ExecutionRunner(
    ISandboxProvider sandboxes,
    PackageResolver packages,
    IFileStore files,
    ServiceReadiness readiness,
    ExecutionSlots slots,
    IExecutionMetrics metrics,
    IOptions<ExecutionOptions> options,
    ILogger<ExecutionRunner> logger)
{
    /// <param name="plan">The checked request.</param>
    /// <param name="staged">The plan's staged files, resolved in the file store.</param>
    /// <param name="observer">Told when the code starts and of its output; null = nobody listens.</param>
    /// <param name="cancellationToken">Kills the sandbox.</param>
    public async Task<ExecutionResult> RunAsync(
        ExecutionPlan plan, IReadOnlyList<StagedFile> staged, IExecutionObserver? observer,
        CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var inputs = await StagedFileReader.ReadAsync(files, staged, limits, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await RunInSandboxAsync(plan, inputs, observer, limits, cancellationToken).ConfigureAwait(false);
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

    private async Task<ExecutionResult> RunInSandboxAsync(
        ExecutionPlan plan, IReadOnlyList<SandboxInputFile> inputs, IExecutionObserver? observer, ExecutionOptions limits,
        CancellationToken cancellationToken)
    {
        readiness.EnsureReady("run code");

        // Built (or found cached) before a slot is taken: a build is not an execution.
        using var prepared = await packages.PrepareAsync(plan.Packages, plan.Image, cancellationToken).ConfigureAwait(false);
        var request = plan.Call.ToSandboxRequest(limits, plan.MemoryLimitMb, plan.CpuLimit, files) with
        {
            PackageEnvironment = prepared.Lease?.Volume,
            InputFiles = [.. plan.Sources, .. inputs],
            Entrypoint = plan.Entrypoint,
            EvalLastExpression = plan.EvalLastExpression,
            PreCommands = plan.PreCommands,
            Network = plan.Network,
            AllowHosts = plan.AllowHosts,
            Image = plan.Image,
            Observer = observer,
        };

        ExecutionResult result;
        using (await slots.EnterAsync(cancellationToken).ConfigureAwait(false))
        {
            result = prepared.Annotate(await sandboxes.RunAsync(request, cancellationToken).ConfigureAwait(false));
        }

        LogExecuted(request.ExecutionId, (long)result.Duration.TotalMilliseconds, result.ExitCode, result.TimedOut, result.OomKilled);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Execution {ExecutionId} finished in {DurationMs} ms: exit_code={ExitCode} timed_out={TimedOut} oom_killed={OomKilled}")]
    private partial void LogExecuted(string executionId, long durationMs, int? exitCode, bool timedOut, bool oomKilled);
}
