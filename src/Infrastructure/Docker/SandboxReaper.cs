using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Removes sandboxes of this service instance left behind: by an earlier process (a crash, a kill)
/// at start-up, before the first execution; and, while the service runs, stopped ones whose removal
/// failed (the engine was away when it was due, e.g. during an engine restart).
/// </summary>
internal sealed partial class SandboxReaper(
    IDockerClient docker, IOptions<SandboxOptions> options, ILogger<SandboxReaper> logger)
{
    public async Task<int> RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        var orphans = await ListAsync(SandboxLabels.FilterFor(options.Value.Instance), cancellationToken).ConfigureAwait(false);
        foreach (var orphan in orphans)
        {
            await RemoveAsync(orphan.ID, cancellationToken).ConfigureAwait(false);
        }

        if (orphans.Count > 0)
        {
            LogReaped(orphans.Count, options.Value.Instance);
        }

        return orphans.Count;
    }

    /// <summary>
    /// Removes this instance's containers that exited (or were created and never started) more than
    /// <paramref name="grace"/> ago. Running containers are never touched, and the grace leaves the
    /// service time to read a container's exit state before its own removal.
    /// </summary>
    public async Task<int> RemoveLeftoversAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var filters = SandboxLabels.FilterFor(options.Value.Instance);
        filters["status"] = new Dictionary<string, bool> { ["created"] = true, ["exited"] = true, ["dead"] = true };
        var stopped = await ListAsync(filters, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var container in stopped)
        {
            try
            {
                if (await StoppedSinceAsync(container, cancellationToken).ConfigureAwait(false) is not { } since
                    || DateTimeOffset.UtcNow - since < grace)
                {
                    continue;
                }

                if (await RemoveAsync(container.ID, cancellationToken).ConfigureAwait(false))
                {
                    removed++;
                }
            }
            catch (DockerContainerNotFoundException)
            {
                // Removed (by the service itself) before it could be inspected.
            }
            catch (DockerApiException ex)
            {
                // E.g. a removal already in progress: the next sweep looks again.
                LogLeftoverNotRemoved(container.ID, ex.StatusCode, ex.ResponseBody);
            }
        }

        if (removed > 0)
        {
            LogLeftoversRemoved(removed, options.Value.Instance);
        }

        return removed;
    }

    private async Task<IList<ContainerListResponse>> ListAsync(
        IDictionary<string, IDictionary<string, bool>> filters, CancellationToken cancellationToken) =>
        await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = filters }, cancellationToken).ConfigureAwait(false);

    /// <summary>Force-removes a container; false when it was already gone.</summary>
    private async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(
                id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;  // removed meanwhile
        }
    }

    /// <summary>When the container stopped (created, for one never started); null when unknown.</summary>
    private async Task<DateTimeOffset?> StoppedSinceAsync(ContainerListResponse container, CancellationToken cancellationToken)
    {
        if (container.State == "created")
        {
            return new DateTimeOffset(container.Created.ToUniversalTime());
        }

        var state = (await docker.Containers.InspectContainerAsync(container.ID, cancellationToken).ConfigureAwait(false)).State;
        return DateTimeOffset.TryParse(state?.FinishedAt, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var finished) && finished.Year > 1
            ? finished
            : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Count} orphaned sandbox container(s) of instance '{Instance}'")]
    private partial void LogReaped(int count, string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Count} stopped sandbox container(s) of instance '{Instance}' whose removal had failed")]
    private partial void LogLeftoversRemoved(int count, string instance);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped sandbox {ContainerId} not removed this time: {StatusCode} {Body}")]
    private partial void LogLeftoverNotRemoved(string containerId, System.Net.HttpStatusCode statusCode, string? body);
}
