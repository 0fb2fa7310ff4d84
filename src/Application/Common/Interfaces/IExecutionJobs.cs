using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Runs submitted executions in the background and keeps them until they expire.</summary>
public interface IExecutionJobs
{
    /// <summary>Starts <paramref name="command"/> in the background as <paramref name="job"/>.</summary>
    void Start(ExecutionJob job, ExecuteCodeCommand command);

    /// <summary>The job, or null when unknown or expired.</summary>
    ExecutionJob? Find(string id);

    /// <summary>Jobs not yet finished.</summary>
    int Unfinished { get; }

    /// <summary>Kills the job if it is still queued or running; completes when it has ended.</summary>
    Task CancelAsync(ExecutionJob job, CancellationToken cancellationToken);
}
