using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Api.Streaming;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Sessions;
using Mediator;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Sessions: a sandbox kept for many calls, with a persistent Python interpreter, workspace and shell.</summary>
[ApiController]
[Route("v1/sessions")]
public sealed class SessionsController(
    IMediator mediator, IOptions<JsonOptions> json, ILogger<SessionsController> logger) : ControllerBase
{
    /// <summary>Opens a session: its own locked-down sandbox, with the given files in its workspace.</summary>
    /// <param name="request">The files, TTL and memory limit of the session.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="201">The session is open until <c>expires_at</c>.</response>
    /// <response code="404">A referenced file id is unknown.</response>
    /// <response code="422">The request is malformed or outside the server's limits (ttl_seconds 1..86400).</response>
    /// <response code="429">MAX_SESSIONS sessions are open, or MAX_SESSIONS_PER_KEY of the caller's key; see Retry-After.</response>
    /// <response code="503">The service is not ready (executor image loading) or the engine is down; see Retry-After.</response>
    [HttpPost]
    [ProducesResponseType<SessionCreateResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ActionResult<SessionCreateResponse>> Create([FromBody] SessionCreateRequest request, CancellationToken cancellationToken)
    {
        var session = await mediator.Send(request.ToCommand(), cancellationToken);
        return StatusCode(StatusCodes.Status201Created, session.ToResponse());
    }

    /// <summary>Runs Python code in the session's interpreter: what earlier calls defined or imported is there.</summary>
    /// <param name="sessionId">The id returned when the session was opened.</param>
    /// <param name="request">The code and its limits.</param>
    /// <param name="cancellationToken">Aborted when the client goes away (the call is then interrupted).</param>
    /// <response code="200">The code ran (whatever its exit code or timeout).</response>
    /// <response code="404">No open session has this id.</response>
    /// <response code="410">The session is lost: the replica that held its sandbox stopped.</response>
    /// <response code="422">The request is malformed or outside the server's limits.</response>
    /// <response code="502">The session's sandbox failed; the session is closed.</response>
    [HttpPost("{session_id}/execute")]
    [ProducesResponseType<SessionExecuteResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, "application/problem+json")]
    public async Task<SessionExecuteResponse> Execute(
        [FromRoute(Name = "session_id")] string sessionId, [FromBody] SessionExecuteRequest request, CancellationToken cancellationToken)
    {
        var result = await mediator.Send(request.ToCommand(sessionId), cancellationToken);
        return result.ToResponse();
    }

    /// <summary>
    /// Runs code in the session's interpreter like <c>POST /v1/sessions/{session_id}/execute</c> and streams
    /// it as server-sent events: <c>event: output</c> with <c>{stream, data}</c> as output arrives,
    /// <c>event: display</c> per display item, then one <c>event: result</c> with the same fields as the
    /// non-streamed call, or <c>event: error</c> with <c>{message}</c>. Refusals (404, 410, 422) come as plain
    /// problem details before any event. Disconnecting interrupts the call. On a replica that does not
    /// hold the session the stream is forwarded from the one that does, unbuffered.
    /// </summary>
    /// <param name="sessionId">The id returned when the session was opened.</param>
    /// <param name="request">The code and its limits.</param>
    /// <param name="cancellationToken">Aborted when the client goes away (the call is then interrupted).</param>
    /// <response code="200">A <c>text/event-stream</c> of the call.</response>
    /// <response code="404">No open session has this id.</response>
    /// <response code="410">The session is lost: the replica that held its sandbox stopped.</response>
    /// <response code="422">The request is malformed or outside the server's limits.</response>
    [HttpPost("{session_id}/execute/stream")]
    [Produces("text/event-stream")]
    [ProducesResponseType(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public async Task ExecuteStream(
        [FromRoute(Name = "session_id")] string sessionId, [FromBody] SessionExecuteRequest request, CancellationToken cancellationToken)
    {
        await ServerSentEventsObserver.StreamAsync(
            Response, json.Value.JsonSerializerOptions, request.TimeoutMs,
            async events => (await mediator.Send(request.ToCommand(sessionId) with { Observer = events }, cancellationToken)).ToResponse(),
            logger, cancellationToken);
    }

    /// <summary>Runs a shell command (<c>sh -c</c>) in the session's sandbox, as the sandbox user in <c>/workspace</c>.</summary>
    /// <param name="sessionId">The id returned when the session was opened.</param>
    /// <param name="request">The command and its timeout.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="200">The command ran (whatever its exit code or timeout).</response>
    /// <response code="404">No open session has this id.</response>
    /// <response code="410">The session is lost: the replica that held its sandbox stopped.</response>
    /// <response code="422">The request is malformed, or timeout_ms is outside 1..MAX_EXEC_TIMEOUT_MS.</response>
    /// <response code="502">The session's sandbox failed; the session is closed.</response>
    [HttpPost("{session_id}/bash")]
    [ProducesResponseType<SessionBashResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status502BadGateway, "application/problem+json")]
    public async Task<SessionBashResponse> Bash(
        [FromRoute(Name = "session_id")] string sessionId, [FromBody] SessionBashRequest request, CancellationToken cancellationToken)
    {
        var result = await mediator.Send(request.ToCommand(sessionId), cancellationToken);
        return result.ToResponse();
    }

    /// <summary>Closes the session and removes its sandbox, workspace included.</summary>
    /// <param name="sessionId">The id returned when the session was opened.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="204">The session is closed.</response>
    /// <response code="404">No open session has this id.</response>
    /// <response code="410">The session is lost: the replica that held its sandbox stopped.</response>
    [HttpDelete("{session_id}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status410Gone, "application/problem+json")]
    public async Task<IActionResult> Delete([FromRoute(Name = "session_id")] string sessionId, CancellationToken cancellationToken)
    {
        await mediator.Send(new DeleteSessionCommand(sessionId), cancellationToken);
        return NoContent();
    }
}
