namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Keeps submitted executions, queued until a worker runs them through
/// <see cref="Executions.IQueuedExecutionRunner"/>, and keeps each finished one until it expires. What a
/// job runs is data (<see cref="Executions.QueuedExecution"/>), so a store may hand it to another process.
/// </summary>
public interface IExecutionJobs
{
    /// <summary>
    /// Keeps <paramref name="job"/> queued with what it runs; a worker runs it soon. Refused with
    /// <see cref="Exceptions.TooManyRequestsException"/> when its submitter's key has
    /// MAX_CONCURRENT_EXECUTIONS_PER_KEY executions running or queued (counting calls of <see cref="IExecutionShares"/>
    /// too; the job then counts until it finishes), or when MAX_RETAINED_EXECUTIONS are kept and none of them
    /// has finished; otherwise the oldest finished ones are removed to make room. Checked and kept in one step.
    /// </summary>
    Task EnqueueAsync(ExecutionJob job, Executions.QueuedExecution execution, CancellationToken cancellationToken);

    /// <summary>The job as it stands now, or null when unknown or expired.</summary>
    Task<ExecutionJob?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>How many jobs are not finished yet (every replica's, for a shared store).</summary>
    Task<int> CountUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>Kills the job if it is still queued or running; answers the job once it has ended (or as it stands after a wait).</summary>
    Task<ExecutionJob> CancelAsync(ExecutionJob job, CancellationToken cancellationToken);
}
