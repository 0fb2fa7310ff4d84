namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Where a job's run reports its progress, so the store that keeps the job keeps up with it.</summary>
public interface IExecutionJobEvents
{
    /// <summary>The job's code started (<see cref="ExecutionJob.Status"/> is running).</summary>
    Task StartedAsync(ExecutionJob job, CancellationToken cancellationToken);

    /// <summary>The job reached its final state (completed, timed out, failed or cancelled).</summary>
    Task FinishedAsync(ExecutionJob job, CancellationToken cancellationToken);
}
