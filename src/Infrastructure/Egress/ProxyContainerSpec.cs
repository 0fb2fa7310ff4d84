using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// The egress proxy's container settings: root only to start squid, which drops to its own user (so SETUID and
/// SETGID are all it keeps), on the engine's default bridge for its own traffic.
/// </summary>
internal static class ProxyContainerSpec
{
    private const long Megabyte = 1024 * 1024;

    public static CreateContainerParameters Build(string image, string name, string instance) => new()
    {
        Image = image,
        Name = name,
        Hostname = "egress-proxy",
        // squid's own user writes the access log to stdout: the pipe the engine gave root is opened up for it first.
        Cmd = ["sh", "-c", $"chmod 0622 /proc/self/fd/1 /proc/self/fd/2 && exec squid -N -f {SquidConfiguration.Directory}/{SquidConfiguration.FileName}"],
        Labels = new Dictionary<string, string> { [EgressProxy.ProxyLabel] = instance },
        HostConfig = new HostConfig
        {
            NetworkMode = "bridge",
            CapDrop = ["ALL"],
            CapAdd = ["SETUID", "SETGID"],
            SecurityOpt = ["no-new-privileges"],
            Memory = 256 * Megabyte,
            MemorySwap = 256 * Megabyte,
            PidsLimit = 256,
            LogConfig = new LogConfig { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = "10m", ["max-file"] = "2" } },
            RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
        },
    };
}
