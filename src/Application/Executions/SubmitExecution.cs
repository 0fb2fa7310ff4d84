using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Executions;

/// <summary>Start <see cref="Execution"/> in the background; poll it by the returned job's id.</summary>
public sealed record SubmitExecutionCommand(ExecuteCodeCommand Execution) : ICommand<ExecutionJob>
{
    /// <summary>The job's id, when the caller's API has its own form (python-executor's <c>exe_&lt;uuid&gt;</c>); otherwise one is made.</summary>
    public string? JobId { get; init; }
}

/// <remarks>
/// Reaches here only past <see cref="SubmitExecutionValidator"/>. The execution is planned and its files
/// resolved once, here; the job runs that plan (Infrastructure only schedules and keeps the job).
/// </remarks>
internal sealed partial class SubmitExecutionHandler(
    IExecutionJobs jobs,
    ExecutionRunner runner,
    PackageResolver packages,
    IFileStore files,
    ServiceReadiness readiness,
    IOptions<ExecutionOptions> executionOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    TimeProvider clock,
    ILogger<SubmitExecutionHandler> logger) : ICommandHandler<SubmitExecutionCommand, ExecutionJob>
{
    public async ValueTask<ExecutionJob> Handle(SubmitExecutionCommand command, CancellationToken cancellationToken)
    {
        var plan = ExecutionPlan.Of(command.Execution, executionOptions.Value);
        // Refuse now what the run would refuse later (an unknown file), so the client learns it from the submit.
        var staged = await StagedFileReader.ResolveAsync(files, plan.Files, cancellationToken).ConfigureAwait(false);
        readiness.EnsureReady("run code");
        await packages.RefuseUnavailableAsync(plan.Packages, plan.Image, cancellationToken).ConfigureAwait(false);

        if (jobs.Unfinished >= asyncOptions.Value.MaxPending)
        {
            throw new TooManyRequestsException("Too many submitted executions are unfinished; try again shortly.", TimeSpan.FromSeconds(1));
        }

        var job = new ExecutionJob(command.JobId ?? $"exec-{Guid.NewGuid():N}", clock.GetUtcNow())
        {
            Owner = CallerContext.Owner,
            Timeout = plan.Timeout,
        };
        jobs.Start(job, (cancel, stopping) => RunAsync(job, plan, staged, cancel, stopping));
        return job;
    }

    /// <summary>
    /// The job's run: running once its code starts, then completed (or timed out) with its result,
    /// failed with what a client may read of the failure, or cancelled, saying by whom.
    /// </summary>
    private async Task RunAsync(
        ExecutionJob job, ExecutionPlan plan, IReadOnlyList<StagedFile> staged,
        CancellationToken cancellationToken, CancellationToken serviceStopping)
    {
        try
        {
            var result = await runner.RunAsync(plan, staged, new JobObserver(job, clock), cancellationToken).ConfigureAwait(false);
            job.Complete(result, clock.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            job.Cancel(serviceStopping.IsCancellationRequested ? "cancelled: the service shut down" : "cancelled by the client", clock.GetUtcNow());
        }
        catch (Exception ex)
        {
            LogFailed(ex, job.Id);
            job.Fail(ExecutionOutcomes.ClientMessage(ex), clock.GetUtcNow());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background execution {ExecutionId} failed")]
    private partial void LogFailed(Exception ex, string executionId);

    /// <summary>Moves the job to running when its code starts (until then it waits for a slot).</summary>
    private sealed class JobObserver(ExecutionJob job, TimeProvider clock) : IExecutionObserver
    {
        public ValueTask OnStartedAsync(CancellationToken cancellationToken)
        {
            job.MarkRunning(clock.GetUtcNow());
            return ValueTask.CompletedTask;
        }

        public ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
