using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Run Python code in a fresh sandbox.</summary>
[ApiController]
[Route("v1")]
public sealed class ExecutionsController(IMediator mediator) : ControllerBase
{
    /// <summary>Runs the code once in a fresh, locked-down container and returns what it produced.</summary>
    /// <response code="200">The code ran (whatever its exit code, timeout or memory kill).</response>
    /// <response code="403">The request asks for something the server does not allow (network).</response>
    /// <response code="404">A referenced file id is unknown.</response>
    /// <response code="422">The request is malformed or outside the server's limits.</response>
    /// <response code="503">The service is not ready (executor image loading) or the engine is down; see Retry-After.</response>
    [HttpPost("execute")]
    [ProducesResponseType<ExecuteResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ExecuteResponse> Execute([FromBody] ExecuteRequest request, CancellationToken cancellationToken)
    {
        var result = await mediator.Send(request.ToCommand(), cancellationToken);
        return result.ToResponse();
    }
}
