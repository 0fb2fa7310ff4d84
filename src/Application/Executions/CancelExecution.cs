namespace CodeInterpreter.Application.Executions;

/// <summary>Kill a submitted execution that is still queued or running (a finished one stays as it is).</summary>
public sealed record CancelExecutionCommand(string ExecutionId) : ICommand<ExecutionJob>;

public sealed class CancelExecutionHandler(IExecutionJobs jobs) : ICommandHandler<CancelExecutionCommand, ExecutionJob>
{
    public async ValueTask<ExecutionJob> Handle(CancelExecutionCommand command, CancellationToken cancellationToken)
    {
        var job = await ExecutionErrors.FindVisibleAsync(jobs, command.ExecutionId, cancellationToken).ConfigureAwait(false);
        return job.IsFinished ? job : await jobs.CancelAsync(job, cancellationToken).ConfigureAwait(false);
    }
}
