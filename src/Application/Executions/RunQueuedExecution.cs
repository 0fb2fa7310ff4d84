namespace CodeInterpreter.Application.Executions;

/// <summary>
/// Runs a queued execution: what any worker (of any replica) calls for a job it took from the store.
/// The job moves to running once its code starts, then ends completed (or timed out) with its result,
/// failed with what a client may read of the failure, or cancelled, saying by whom; each step is
/// reported to <see cref="IExecutionJobEvents"/>.
/// </summary>
public interface IQueuedExecutionRunner
{
    /// <param name="execution">What the job runs.</param>
    /// <param name="job">The job, queued.</param>
    /// <param name="events">Told when the code starts and when the job ends.</param>
    /// <param name="cancellationToken">Cancelled when the job is cancelled or the service stops; kills the sandbox.</param>
    /// <param name="serviceStopping">Cancelled only when the service stops, so the run can tell the two apart.</param>
    Task RunAsync(
        QueuedExecution execution, ExecutionJob job, IExecutionJobEvents events,
        CancellationToken cancellationToken, CancellationToken serviceStopping);
}

/// <remarks>
/// The command passed <see cref="SubmitExecutionValidator"/> when it was submitted and is not checked
/// again: it is planned (a total function of a valid command) and its files resolved here, where it runs.
/// </remarks>
internal sealed partial class QueuedExecutionRunner(
    ExecutionRunner runner,
    IFileStore files,
    IOptions<ExecutionOptions> executionOptions,
    TimeProvider clock,
    ILogger<QueuedExecutionRunner> logger) : IQueuedExecutionRunner
{
    public async Task RunAsync(
        QueuedExecution execution, ExecutionJob job, IExecutionJobEvents events,
        CancellationToken cancellationToken, CancellationToken serviceStopping)
    {
        ArgumentNullException.ThrowIfNull(execution);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(events);
        // Whichever process runs it, files are looked up and generated as the submitter's.
        CallerContext.Owner = execution.Owner;
        try
        {
            var plan = ExecutionPlan.Of(execution.Command, executionOptions.Value);
            var staged = await StagedFileReader.ResolveAsync(files, plan.Files, cancellationToken).ConfigureAwait(false);
            var result = await runner.RunAsync(plan, staged, new JobObserver(job, events, clock), cancellationToken).ConfigureAwait(false);
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

        await events.FinishedAsync(job, CancellationToken.None).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Background execution {ExecutionId} failed")]
    private partial void LogFailed(Exception ex, string executionId);

    /// <summary>Moves the job to running when its code starts (until then it waits for a slot).</summary>
    private sealed class JobObserver(ExecutionJob job, IExecutionJobEvents events, TimeProvider clock) : IExecutionObserver
    {
        public async ValueTask OnStartedAsync(CancellationToken cancellationToken)
        {
            job.MarkRunning(clock.GetUtcNow());
            await events.StartedAsync(job, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
