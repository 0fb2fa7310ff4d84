using CodeInterpreter.Application.Common.Options;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Routing;

/// <summary>
/// Names the replica that answered in every response (<c>X-Replica</c>, REPLICA_ID), errors included,
/// so operators and tests see how a load balancer spreads the calls. A forwarded session call keeps
/// the owner's name (it answered) and adds <c>X-Forwarded-By-Replica</c> with this one's.
/// </summary>
internal sealed class ReplicaHeaderMiddleware(RequestDelegate next, IOptions<ReplicaOptions> options)
{
    /// <summary>The response header naming the replica that answered.</summary>
    public const string Header = "X-Replica";

    private readonly string _replicaId = options.Value.ReplicaId;

    public Task InvokeAsync(HttpContext context)
    {
        // Set as the response starts: the exception handler clears headers set earlier.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.TryAdd(Header, _replicaId);
            return Task.CompletedTask;
        });
        return next(context);
    }
}
