using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>Keeps every queued job with what it runs, without running it: a test runs it when it wants.</summary>
internal sealed class RecordingJobs : IExecutionJobs, IExecutionJobEvents
{
    public List<(ExecutionJob Job, QueuedExecution Execution)> Queued { get; } = [];

    public int Unfinished { get; set; }

    /// <summary>The jobs' states as reported by their runs, in order.</summary>
    public List<ExecutionJobStatus> Reported { get; } = [];

    public Task EnqueueAsync(ExecutionJob job, QueuedExecution execution, CancellationToken cancellationToken)
    {
        Queued.Add((job, execution));
        return Task.CompletedTask;
    }

    public Task<ExecutionJob?> FindAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(Queued.Select(s => s.Job).FirstOrDefault(j => j.Id == id));

    public Task<int> CountUnfinishedAsync(CancellationToken cancellationToken) => Task.FromResult(Unfinished);

    public Task<ExecutionJob> CancelAsync(ExecutionJob job, CancellationToken cancellationToken) => Task.FromResult(job);

    public Task StartedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        Reported.Add(job.Status);
        return Task.CompletedTask;
    }

    public Task FinishedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        Reported.Add(job.Status);
        return Task.CompletedTask;
    }
}
