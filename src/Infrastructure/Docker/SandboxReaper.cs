using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Removes sandboxes of this service instance left behind by an earlier process (a crash, a kill,
/// an engine hiccup at removal). Run at start-up, before the first execution.
/// </summary>
internal sealed partial class SandboxReaper(
    IDockerClient docker, IOptions<SandboxOptions> options, ILogger<SandboxReaper> logger)
{
    public async Task<int> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var orphans = await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = SandboxLabels.FilterFor(options.Value.Instance) },
            cancellationToken).ConfigureAwait(false);
        foreach (var orphan in orphans)
        {
            try
            {
                await docker.Containers.RemoveContainerAsync(
                    orphan.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException)
            {
                // Removed meanwhile.
            }
        }

        if (orphans.Count > 0)
        {
            LogReaped(orphans.Count, options.Value.Instance);
        }

        return orphans.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Count} orphaned sandbox container(s) of instance '{Instance}'")]
    private partial void LogReaped(int count, string instance);
}
