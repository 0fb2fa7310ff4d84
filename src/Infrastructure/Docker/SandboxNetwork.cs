using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The bridge network of sandboxes that asked for (and were allowed) network access: separate from
/// the engine's default bridge, with inter-container traffic off, so sandboxes cannot reach each
/// other, and with every packet from it to this host dropped (an iptables INPUT rule on its bridge
/// interface), so they reach neither the service's ports nor the engine. Without that rule the
/// network is refused, never handed out half-isolated.
/// </summary>
internal sealed partial class SandboxNetwork(IDockerClient docker, ILogger<SandboxNetwork> logger) : IDisposable
{
    public const string Name = "code-interpreter-sandboxes";

    /// <summary>The bridge interface on the host, named so the host rule can find it.</summary>
    public const string BridgeInterface = "cisandbox0";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _exists;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_exists)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [Name] = true } },
            }, cancellationToken).ConfigureAwait(false);
            if (!networks.Any(n => n.Name == Name))
            {
                await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
                {
                    Name = Name,
                    Driver = "bridge",
                    Options = new Dictionary<string, string>
                    {
                        ["com.docker.network.bridge.enable_icc"] = "false",
                        ["com.docker.network.bridge.name"] = BridgeInterface,
                    },
                    Labels = new Dictionary<string, string> { [SandboxLabels.Sandbox] = "network" },
                }, cancellationToken).ConfigureAwait(false);
                LogCreated(Name);
            }

            await BlockHostAsync(cancellationToken).ConfigureAwait(false);
            _exists = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Drops everything the sandbox network sends to this host (idempotent: checked first).</summary>
    private static async Task BlockHostAsync(CancellationToken cancellationToken)
    {
        string[] rule = ["INPUT", "-i", BridgeInterface, "-j", "DROP"];
        if (await IptablesAsync(["-C", .. rule], cancellationToken).ConfigureAwait(false) == 0)
        {
            return;
        }

        if (await IptablesAsync(["-I", .. rule], cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new Application.Common.Exceptions.ForbiddenException(
                "network access is allowed but cannot be isolated from this host (iptables is not usable by the service); refusing it");
        }
    }

    private static async Task<int> IptablesAsync(string[] arguments, CancellationToken cancellationToken)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("iptables", arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1; // iptables is not installed
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the sandbox network {Network} (inter-container traffic off)")]
    private partial void LogCreated(string network);
}
