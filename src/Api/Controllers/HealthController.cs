using System.Reflection;
using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Application.Common.Interfaces;
using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Controllers;

/// <summary>Liveness and readiness probes.</summary>
[ApiController]
[Route("health")]
public sealed class HealthController(ServiceReadiness readiness, ISandboxPoolStatus pool) : ControllerBase
{
    /// <summary>The service version, MAJOR.MINOR.PATCH.</summary>
    public static readonly string Version =
        typeof(HealthController).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "1.0.0";

    /// <summary>Liveness: always 200; <c>status</c> says whether code can run now.</summary>
    [HttpGet]
    [ProducesResponseType<HealthResponse>(StatusCodes.Status200OK)]
    public HealthResponse Health() => new()
    {
        Status = readiness.IsReady ? "ok" : "error",
        Message = readiness.Reason,
        Version = Version,
        Runtime = pool.Runtime,
    };

    /// <summary>Readiness: 200 (with what the warm pool holds) when the engine answers and the executor image exists, else 503.</summary>
    [HttpGet("ready")]
    [ProducesResponseType<ReadinessResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public IActionResult Ready()
    {
        if (readiness.IsReady)
        {
            return Ok(new ReadinessResponse { Status = "ready", Pool = pool.Snapshot().ToContract(), Runtime = pool.Runtime });
        }

        Response.Headers.RetryAfter = "5";
        return Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready",
            detail: $"The service is not ready: {readiness.Reason}");
    }
}
