using System.Net;

namespace CodeInterpreter.Api.Routing;

/// <summary>
/// The HTTP client forwarded session calls go out on: straight to the owner (no proxy, no redirects,
/// no cookies, bodies untouched), one connection pool for the process.
/// </summary>
internal sealed class ReplicaClient : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        // The probe has already answered within 750 ms; this bounds a connect that still hangs.
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ActivityHeadersPropagator = null,
    });

    public void Dispose() => Invoker.Dispose();
}
