using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// A bridge network of the service's own, with inter-container traffic off and a fixed host interface name, so
/// <see cref="HostFirewall"/> rules can find its traffic.
/// </summary>
internal static class FencedBridge
{
    /// <summary>Creates the network unless it exists; true when it was created now.</summary>
    public static async Task<bool> EnsureAsync(IDockerClient docker, string name, string bridgeInterface, CancellationToken cancellationToken)
    {
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [name] = true } },
        }, cancellationToken).ConfigureAwait(false);
        if (networks.Any(n => n.Name == name))
        {
            return false;
        }

        await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = name,
            Driver = "bridge",
            Options = new Dictionary<string, string>
            {
                ["com.docker.network.bridge.enable_icc"] = "false",
                ["com.docker.network.bridge.name"] = bridgeInterface,
            },
            Labels = new Dictionary<string, string> { [SandboxLabels.Sandbox] = "network" },
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
