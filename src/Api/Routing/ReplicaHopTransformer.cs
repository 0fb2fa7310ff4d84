using Yarp.ReverseProxy.Forwarder;

namespace CodeInterpreter.Api.Routing;

/// <summary>
/// How a forwarded session call changes on its way: the request gets the hop header (the owner then
/// serves it itself, whatever its own directory says); the response keeps the owner's
/// <c>X-Replica</c> and says which replica forwarded it. Everything else, the API key included,
/// passes as the client sent it.
/// </summary>
internal sealed class ReplicaHopTransformer(string replicaId) : HttpTransformer
{
    /// <summary>Marks a call already forwarded once (request) and names the forwarder (response).</summary>
    public const string HopHeader = "X-Forwarded-By-Replica";

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
        proxyRequest.Headers.Remove(HopHeader);
        proxyRequest.Headers.TryAddWithoutValidation(HopHeader, replicaId);
    }

    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        httpContext.Response.Headers.Remove(ReplicaHeaderMiddleware.Header);
        httpContext.Response.Headers[HopHeader] = replicaId;
        return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
    }
}
