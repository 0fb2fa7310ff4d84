using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Application.Packages;
using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace CodeInterpreter.Api.Controllers;

/// <summary>The cached package environments that requests with <c>requirements</c> mount.</summary>
[ApiController]
[Route("v1/environments")]
public sealed class EnvironmentsController(IMediator mediator) : ControllerBase
{
    /// <summary>Lists the cached environments, most recently used first.</summary>
    /// <response code="200">The environments.</response>
    [HttpGet]
    [ProducesResponseType<ListEnvironmentsResponse>(StatusCodes.Status200OK)]
    public async Task<ListEnvironmentsResponse> List(CancellationToken cancellationToken)
    {
        var environments = await mediator.Send(new ListEnvironmentsQuery(), cancellationToken);
        return new ListEnvironmentsResponse
        {
            Environments = [.. environments.Select(e => new EnvironmentMetadata
            {
                Hash = e.Hash,
                Requirements = e.Requirements,
                SizeBytes = e.SizeBytes,
                CreatedAt = UnixTime.ToSeconds(e.CreatedAt),
                LastUsedAt = UnixTime.ToSeconds(e.LastUsedAt),
                InUse = e.InUse,
            })],
        };
    }

    /// <summary>Deletes a cached environment; the next request that needs it builds it again.</summary>
    /// <param name="hash">The environment's hash, as listed.</param>
    /// <param name="cancellationToken">Aborted when the client goes away.</param>
    /// <response code="204">The environment is deleted.</response>
    /// <response code="404">No environment has this hash.</response>
    /// <response code="409">A sandbox or session uses it now.</response>
    [HttpDelete("{hash}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status409Conflict, "application/problem+json")]
    public async Task<IActionResult> Delete([FromRoute] string hash, CancellationToken cancellationToken)
    {
        await mediator.Send(new DeleteEnvironmentCommand(hash), cancellationToken);
        return NoContent();
    }
}
