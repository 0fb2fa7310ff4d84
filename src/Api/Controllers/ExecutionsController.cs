using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using Mediator;
using CodeInterpreter.Api.Streaming;
using CodeInterpreter.Application.Common;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Run Python code in a fresh sandbox.</summary>
[ApiController]
[Route("v1")]
public sealed class ExecutionsController(
    IMediator mediator, IOptions<JsonOptions> json, ILogger<ExecutionsController> logger) : ControllerBase
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

    /// <summary>
    /// Runs the code like <c>POST /v1/execute</c> and streams it as server-sent events:
    /// <c>event: output</c> with <c>{stream: "stdout"|"stderr", data}</c> as output arrives, <c>event: display</c>
    /// with a display item (as in the result's <c>outputs</c>) as the code displays it, then one
    /// <c>event: result</c> with the same fields as <c>/v1/execute</c>, or <c>event: error</c> with
    /// <c>{message}</c>. Refusals (422, 404, 403, 429, 503) come as plain problem details before any
    /// event. Disconnecting kills the sandbox.
    /// </summary>
    /// <response code="200">A <c>text/event-stream</c> of the run.</response>
    [HttpPost("execute/stream")]
    [Produces("text/event-stream")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task ExecuteStream([FromBody] ExecuteRequest request, CancellationToken cancellationToken)
    {
        await ServerSentEventsObserver.StreamAsync(
            Response, json.Value.JsonSerializerOptions, request.TimeoutMs,
            async events => (await mediator.Send(request.ToCommand() with { Observer = events }, cancellationToken)).ToResponse(),
            logger, cancellationToken);
    }
}
