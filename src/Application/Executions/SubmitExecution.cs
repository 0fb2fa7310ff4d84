using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Executions;

/// <summary>Start <see cref="Execution"/> in the background; poll it by the returned job's id.</summary>
public sealed record SubmitExecutionCommand(ExecuteCodeCommand Execution) : ICommand<ExecutionJob>
{
    /// <summary>The job's id, when the caller's API has its own form (python-executor's <c>exe_&lt;uuid&gt;</c>); otherwise one is made.</summary>
    public string? JobId { get; init; }
}

/// <remarks>
/// Reaches here only past <see cref="SubmitExecutionValidator"/>. What the run would refuse (an unknown
/// file) is refused here, so the client learns it from the submit; the job is then queued as data and
/// run by <see cref="IQueuedExecutionRunner"/> (Infrastructure only keeps and hands out jobs).
/// </remarks>
internal sealed class SubmitExecutionHandler(
    IExecutionJobs jobs,
    PackageResolver packages,
    IFileStore files,
    ServiceReadiness readiness,
    IOptions<ExecutionOptions> executionOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    TimeProvider clock) : ICommandHandler<SubmitExecutionCommand, ExecutionJob>
{
    public async ValueTask<ExecutionJob> Handle(SubmitExecutionCommand command, CancellationToken cancellationToken)
    {
        var plan = ExecutionPlan.Of(command.Execution, executionOptions.Value);
        await StagedFileReader.ResolveAsync(files, plan.Files, cancellationToken).ConfigureAwait(false);
        readiness.EnsureReady("run code");
        await packages.RefuseUnavailableAsync(plan.Packages, plan.Image, cancellationToken).ConfigureAwait(false);

        if (await jobs.CountUnfinishedAsync(cancellationToken).ConfigureAwait(false) >= asyncOptions.Value.MaxPending)
        {
            throw new TooManyRequestsException("Too many submitted executions are unfinished; try again shortly.", TimeSpan.FromSeconds(1));
        }

        var job = new ExecutionJob(command.JobId ?? $"exec-{Guid.NewGuid():N}", clock.GetUtcNow())
        {
            Owner = CallerContext.Owner,
            Timeout = plan.Timeout,
        };
        var execution = new QueuedExecution(command.Execution with { Observer = null }, CallerContext.Owner);
        await jobs.EnqueueAsync(job, execution, cancellationToken).ConfigureAwait(false);
        return job;
    }
}
