using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>Keeps every started job with its work, without running it: a test runs the work when it wants.</summary>
internal sealed class RecordingJobs : IExecutionJobs
{
    public List<(ExecutionJob Job, ExecutionJobWork Work)> Started { get; } = [];

    public int Unfinished { get; set; }

    public void Start(ExecutionJob job, ExecutionJobWork work) => Started.Add((job, work));

    public ExecutionJob? Find(string id) => Started.Select(s => s.Job).FirstOrDefault(j => j.Id == id);

    public Task CancelAsync(ExecutionJob job, CancellationToken cancellationToken) => Task.CompletedTask;
}
