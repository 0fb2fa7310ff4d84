namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Schedules submitted executions in the background and keeps them until they expire.</summary>
public interface IExecutionJobs
{
    /// <summary>Keeps <paramref name="job"/> and runs <paramref name="work"/> for it in the background.</summary>
    void Start(ExecutionJob job, ExecutionJobWork work);

    /// <summary>The job, or null when unknown or expired.</summary>
    ExecutionJob? Find(string id);

    /// <summary>Jobs not yet finished.</summary>
    int Unfinished { get; }

    /// <summary>Kills the job if it is still queued or running; completes when it has ended.</summary>
    Task CancelAsync(ExecutionJob job, CancellationToken cancellationToken);
}
