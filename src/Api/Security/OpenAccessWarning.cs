using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Security;

/// <summary>
/// Without API_KEYS the service runs code for anyone who reaches it. That is fine on loopback and
/// allowed elsewhere (inside a private network, as Onyx runs the reference), but it is said once, at
/// start-up, when the service listens beyond loopback.
/// </summary>
internal static partial class OpenAccessWarning
{
    /// <summary>Logs the warning once the server listens, if it applies.</summary>
    public static void Register(WebApplication app) =>
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.KeyHashes().Count > 0)
            {
                return;
            }

            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var open = BeyondLoopback(addresses);
            if (open.Count > 0)
            {
                LogOpen(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpenAccessWarning)), string.Join(", ", open));
            }
        });

    /// <summary>The addresses that accept connections from other machines (an unparseable one counts as such).</summary>
    public static IReadOnlyList<string> BeyondLoopback(IEnumerable<string> addresses) =>
        [.. addresses.Where(address => !IsLoopback(address))];

    private static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "API_KEYS is not set and the service listens on {Addresses}: anyone who can reach it can run code and read its files. " +
        "Set API_KEYS, or listen on loopback only (HOST=127.0.0.1) behind a proxy that authenticates.")]
    private static partial void LogOpen(ILogger logger, string addresses);
}
