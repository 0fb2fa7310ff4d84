using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Executions;
using Mediator;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Application.Executions;

/// <summary>Start <see cref="Execution"/> in the background; poll it by the returned job's id.</summary>
public sealed record SubmitExecutionCommand(ExecuteCodeCommand Execution) : ICommand<ExecutionJob>;

public sealed class SubmitExecutionHandler(
    IExecutionJobs jobs,
    IFileStore files,
    ServiceReadiness readiness,
    IOptions<ExecutionOptions> executionOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    TimeProvider clock) : ICommandHandler<SubmitExecutionCommand, ExecutionJob>
{
    public async ValueTask<ExecutionJob> Handle(SubmitExecutionCommand command, CancellationToken cancellationToken)
    {
        // Refuse now what the run would refuse later, so the client learns it from the submit.
        ExecutionRules.Check(command.Execution, executionOptions.Value);
        foreach (var file in command.Execution.Files)
        {
            _ = await files.GetAsync(file.FileId, cancellationToken).ConfigureAwait(false)
                ?? throw new NotFoundException($"File with ID '{file.FileId}' not found");
        }

        if (!readiness.IsReady)
        {
            throw new ServiceUnavailableException($"The service is not ready to run code yet: {readiness.Reason}", TimeSpan.FromSeconds(5));
        }

        if (jobs.Unfinished >= asyncOptions.Value.MaxPending)
        {
            throw new TooManyRequestsException("Too many submitted executions are unfinished; try again shortly.", TimeSpan.FromSeconds(1));
        }

        var job = new ExecutionJob($"exec-{Guid.NewGuid():N}", clock.GetUtcNow()) { Owner = CallerContext.Owner };
        jobs.Start(job, command.Execution);
        return job;
    }
}
