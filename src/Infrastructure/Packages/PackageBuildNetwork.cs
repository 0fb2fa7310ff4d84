using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// The network of package builders in index mode (PACKAGE_INDEX_URL), and nobody else's: its own bridge with
/// inter-container traffic off, and host firewall rules on that bridge that let through only TCP to the index's
/// addresses and port (to this host: INPUT; elsewhere: DOCKER-USER) and drop the rest. Without the rules the
/// network is refused, never handed out open. The index's name is resolved when the rules are made.
/// </summary>
internal sealed partial class PackageBuildNetwork(IDockerClient docker, IOptions<PackageOptions> options, ILogger<PackageBuildNetwork> logger)
    : IDisposable
{
    public const string Name = "code-interpreter-package-builds";

    /// <summary>The bridge interface on the host, named so the rules can find it.</summary>
    public const string BridgeInterface = "cibuild0";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _ready;

    /// <summary>Creates the network and its rules once; throws when they cannot be made.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return;
            }

            var index = new Uri(options.Value.IndexUrl!);
            var port = index.Port;
            var addresses = await IndexAddressesAsync(index.Host, cancellationToken).ConfigureAwait(false);
            await FencedBridge.EnsureAsync(docker, Name, BridgeInterface, cancellationToken).ConfigureAwait(false);
            var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var chain in new[] { "INPUT", "DOCKER-USER" })
            {
                await RemoveStaleAcceptsAsync(chain, addresses, portText, cancellationToken).ConfigureAwait(false);
                // Inserted at the top in this order, so the accepts come before the drop.
                await RuleAsync([chain, "-i", BridgeInterface, "-j", "DROP"], cancellationToken).ConfigureAwait(false);
                foreach (var address in addresses)
                {
                    await RuleAsync(
                        [chain, "-i", BridgeInterface, "-d", address.ToString(), "-p", "tcp", "--dport", portText, "-j", "ACCEPT"],
                        cancellationToken).ConfigureAwait(false);
                }
            }

            var allowed = string.Join(", ", addresses.Select(a => a.ToString()));
            LogReady(Name, allowed, port);
            _ready = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private static async Task<IReadOnlyList<IPAddress>> IndexAddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        var resolved = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, cancellationToken).ConfigureAwait(false);
        return resolved.Length > 0
            ? resolved
            : throw new SandboxFailedException($"The package index host '{host}' does not resolve to an IPv4 address.");
    }

    /// <summary>
    /// Removes accepts on the bridge left for an index configured before (another address or port), so the
    /// builders reach exactly the index configured now.
    /// </summary>
    private static async Task RemoveStaleAcceptsAsync(
        string chain, IReadOnlyList<IPAddress> addresses, string port, CancellationToken cancellationToken)
    {
        var (exit, listing) = await HostFirewall.RunAsync(["-S", chain], cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            return; // no such chain: the insert below fails and says so
        }

        foreach (var line in listing.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length < 2 || tokens[0] != "-A" || !line.Contains($"-i {BridgeInterface} ", StringComparison.Ordinal)
                || !line.EndsWith("-j ACCEPT", StringComparison.Ordinal))
            {
                continue;
            }

            var current = line.Contains($"--dport {port} ", StringComparison.Ordinal)
                && addresses.Any(a => line.Contains($"-d {a}/32 ", StringComparison.Ordinal));
            if (!current)
            {
                await HostFirewall.RunAsync(["-D", .. tokens[1..]], cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task RuleAsync(string[] rule, CancellationToken cancellationToken)
    {
        if (!await HostFirewall.EnsureRuleAsync(rule, cancellationToken).ConfigureAwait(false))
        {
            throw new SandboxFailedException(
                "The package builder's network cannot be limited to the index (iptables is not usable by the service); refusing to build.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Package build network {Network} ready: TCP to {Addresses} port {Port} only")]
    private partial void LogReady(string network, string addresses, int port);
}
