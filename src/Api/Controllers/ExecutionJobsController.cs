using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Application.Executions;
using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Executions that run in the background: submit, poll, cancel.</summary>
[ApiController]
[Route("v1/executions")]
public sealed class ExecutionJobsController(IMediator mediator) : ControllerBase
{
    /// <summary>Submits code to run in the background (same body as <c>POST /v1/execute</c>).</summary>
    /// <response code="202">Accepted: poll the returned id. Results are kept for EXECUTION_RESULT_TTL_SEC after the run.</response>
    /// <response code="404">A referenced file id is unknown.</response>
    /// <response code="422">The request is malformed or outside the server's limits.</response>
    /// <response code="429">Too many submitted executions are unfinished; see Retry-After.</response>
    [HttpPost]
    [ProducesResponseType<ExecutionJobResponse>(StatusCodes.Status202Accepted)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, "application/problem+json")]
    public async Task<IActionResult> Submit([FromBody] ExecuteRequest request, CancellationToken cancellationToken)
    {
        var job = await mediator.Send(new SubmitExecutionCommand(request.ToCommand()), cancellationToken);
        return AcceptedAtAction(nameof(Get), new { executionId = job.Id }, job.ToResponse());
    }

    /// <summary>Where the execution stands; with its result once finished.</summary>
    /// <response code="404">Unknown or expired id.</response>
    [HttpGet("{executionId}")]
    [ProducesResponseType<ExecutionJobResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<ExecutionJobResponse> Get(string executionId, CancellationToken cancellationToken) =>
        (await mediator.Send(new GetExecutionQuery(executionId), cancellationToken)).ToResponse();

    /// <summary>Kills the execution if it is queued or running; answers its state afterwards.</summary>
    /// <response code="404">Unknown or expired id.</response>
    [HttpDelete("{executionId}")]
    [ProducesResponseType<ExecutionJobResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<ExecutionJobResponse> Cancel(string executionId, CancellationToken cancellationToken) =>
        (await mediator.Send(new CancelExecutionCommand(executionId), cancellationToken)).ToResponse();
}
