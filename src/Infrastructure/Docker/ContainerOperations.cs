using System.Globalization;
using System.Net.Sockets;
using CodeInterpreter.Application.Common.Exceptions;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// What the service asks of the engine for one sandbox or session container: create, attach and
/// start it, kill it, read its state, remove it. Calls that may fail transiently go through
/// <see cref="EngineResilience"/>; engine failures become the service's own exceptions.
/// </summary>
internal sealed partial class ContainerOperations(IDockerClient docker, EngineResilience resilience, ILogger<ContainerOperations> logger)
{
    private static readonly TimeSpan EngineRetryAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan OomEventLookBack = TimeSpan.FromHours(1);
    private static readonly TimeSpan OomEventQueryTimeout = TimeSpan.FromSeconds(5);
    // The engine itself waits 10 s for a killed container to end before it kills the process directly.
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The engine's client, for calls that are not about one container's lifetime (exec).</summary>
    public IDockerClient Client => docker;

    /// <summary>
    /// Creates a container from <paramref name="parameters"/>, attaches to its stdio and starts it; a
    /// container that cannot be attached or started is removed. Engine failures become the service's
    /// own exceptions (503 for a missing image or an unreachable engine, 502 for a refusal), naming
    /// <paramref name="what"/> ("sandbox", "session's sandbox").
    /// </summary>
    public async Task<(string Id, MultiplexedStream Stream)> CreateAttachStartAsync(
        CreateContainerParameters parameters, string what, CancellationToken cancellationToken)
    {
        // A unique name makes the create safe to retry and lets a create whose answer was lost be
        // cleaned up. The create itself is never cancelled by the caller: a cancelled request can
        // leave the engine creating a container nobody knows about. Attach (below) observes the
        // caller's token, and a container that is never started is removed there.
        var name = parameters.Name ??= $"code-interpreter-{Guid.NewGuid():N}";
        string id;
        try
        {
            id = await resilience.Pipeline.ExecuteAsync(
                async ct => await CreateOnceAsync(parameters, name, ct).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new ServiceUnavailableException($"The executor image '{parameters.Image}' is missing.", EngineRetryAfter, ex);
        }
        catch (DockerApiException ex)
        {
            throw new SandboxFailedException($"The Docker engine refused to create the {what}: {ex.ResponseBody}", ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex) || ex is OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            // No answer: the engine may have created it all the same.
            await RemoveAsync(name).ConfigureAwait(false);
            throw EngineUnavailable(ex);
        }

        await EnsurePackageEnvironmentIntactAsync(parameters, id).ConfigureAwait(false);
        MultiplexedStream? stream = null;
        try
        {
            stream = await docker.Containers.AttachContainerAsync(
                id,
                new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
                cancellationToken).ConfigureAwait(false);
            await docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken)
                .ConfigureAwait(false);
            return (id, stream);
        }
        catch (Exception ex)
        {
            stream?.Dispose();
            await RemoveAsync(id).ConfigureAwait(false);
            if (IsEngineUnreachable(ex))
            {
                throw EngineUnavailable(ex);
            }

            if (ex is DockerApiException api)
            {
                throw new SandboxFailedException($"The Docker engine could not start the {what}: {api.ResponseBody}", ex);
            }

            throw;
        }
    }

    /// <summary>
    /// A package environment volume removed between its lease and this create (another replica on the engine evicted
    /// the one it built) would have been created again, empty, by the create itself: such a volume has no
    /// environment label. Then the container never starts: it and the empty volume are removed, and the call is
    /// refused for a retry (which builds the environment again), instead of running the code without its packages.
    /// </summary>
    private async Task EnsurePackageEnvironmentIntactAsync(CreateContainerParameters parameters, string id)
    {
        var mount = parameters.HostConfig?.Mounts?.FirstOrDefault(m => m.Type == "volume" && m.Target == SandboxContainerSpec.PackagesPath);
        if (mount?.Source is not { Length: > 0 } name)
        {
            return;
        }

        VolumeResponse volume;
        try
        {
            volume = await docker.Volumes.InspectAsync(name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            await RemoveAsync(id).ConfigureAwait(false);
            throw EngineUnavailable(ex);
        }

        if (volume.Labels?.ContainsKey(SandboxLabels.Environment) == true)
        {
            return;
        }

        await RemoveAsync(id).ConfigureAwait(false);
        try
        {
            await docker.Volumes.RemoveAsync(name, force: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            // In use by another create of the same moment: the reaper's volume listing never sees it (no label), so
            // it is named in the log.
            LogStrayVolumeKept(name);
        }

        throw new ServiceUnavailableException(
            $"The package environment '{name}' was removed while this run was starting; retry (it is built again).", TimeSpan.FromSeconds(1));
    }

    /// <summary>Removes a volume unless a container uses it: true when it is gone (or was), false while in use.</summary>
    public async Task<bool> TryRemoveVolumeAsync(string volume)
    {
        try
        {
            await docker.Volumes.RemoveAsync(volume, force: false, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return true;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>One create; a name conflict means an earlier attempt whose answer was lost succeeded.</summary>
    private async Task<string> CreateOnceAsync(CreateContainerParameters parameters, string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await docker.Containers.CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false)).ID;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            return (await docker.Containers.InspectContainerAsync(name, cancellationToken).ConfigureAwait(false)).ID;
        }
    }

    /// <summary>Kills the container, which ends its attached stream at once; a failure is logged (removal settles it).</summary>
    public async Task KillAsync(string id)
    {
        using var timeout = new CancellationTokenSource(KillTimeout);
        try
        {
            // The engine answers once it has handled the container's end; WaitAsync bounds it even if the call ignored
            // its token. Removal (forced) settles a container whose end the engine has not handled by then.
            await docker.Containers.KillContainerAsync(id, new ContainerKillParameters { Signal = "KILL" }, timeout.Token)
                .WaitAsync(KillTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerApiException || IsEngineUnreachable(ex))
        {
            // Already stopped or gone: removal settles it either way.
            LogKillFailed(id, ex.Message);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogKillTimedOut(id, KillTimeout.TotalSeconds);
        }
    }

    /// <summary>
    /// Closes <paramref name="attached"/>, the container's attached stream, then kills the container. Closed first
    /// because the engine (20.10) ends a container (and with it a kill, which waits for that end) only once it has
    /// written what the container printed to the attached stream: left unread (its reader stalled behind a slow client,
    /// or gone past its deadline) with more output pending, the kill never returned and the container stayed up.
    /// </summary>
    public Task KillAsync(string id, MultiplexedStream attached)
    {
        attached.Dispose();
        return KillAsync(id);
    }

    /// <summary>Waits for the container to stop, for <paramref name="wait"/> at most.</summary>
    public async Task WaitForExitAsync(string id, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await docker.Containers.WaitContainerAsync(id, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Still running after the wait: the caller reports what there is; removal kills it.
        }
    }

    /// <summary>The container's state as the engine records it (exit code, OOM kill); null once it is gone.</summary>
    public async Task<State?> InspectStateAsync(string id)
    {
        try
        {
            var inspected = await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Containers.InspectContainerAsync(id, ct).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
            return inspected.State;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the memory cgroup's OOM killer struck the container: the engine recorded it in the
    /// container's state, or it sent an <c>oom</c> event for it since it started. The state alone can
    /// miss it: the engine sets the flag only when the <c>oom</c> event comes before the exit, and under
    /// gVisor, whose whole sandbox the OOM killer ends, it came after the <c>die</c> event (by ~140 ms) in
    /// 2 of 16 runs here, leaving the flag false for good. <paramref name="wait"/> is how long to wait for
    /// such a late event (zero: only events already recorded).
    /// </summary>
    public async Task<bool> OomKilledAsync(string id, State? state, TimeSpan wait)
    {
        if (state?.OOMKilled == true)
        {
            return true;
        }

        var since = DateTimeOffset.TryParse(state?.StartedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started)
            ? started
            : DateTimeOffset.UtcNow - OomEventLookBack;
        var parameters = new ContainerEventsParameters
        {
            // Unix time as seconds.fraction, as the engine reads it; a second before the start is harmless (one container).
            Since = UnixTime(since - TimeSpan.FromSeconds(1)),
            Until = UnixTime(DateTimeOffset.UtcNow + wait),
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["container"] = new Dictionary<string, bool> { [id] = true },
                ["event"] = new Dictionary<string, bool> { ["oom"] = true },
            },
        };
        using var stop = new CancellationTokenSource(wait + OomEventQueryTimeout);
        var found = false;
        try
        {
            // WaitAsync bounds it even if the stream ignored its token.
            await docker.System.MonitorEventsAsync(parameters, new Progress(() =>
            {
                found = true;
                stop.Cancel();
            }), stop.Token).WaitAsync(wait + OomEventQueryTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // Found (or the engine took too long to answer): `found` says which.
        }
        catch (Exception ex) when (ex is DockerApiException || IsEngineUnreachable(ex))
        {
            LogOomEventsUnreadable(id, ex.Message);
        }

        return found;
    }

    /// <summary>Force-removes a sandbox or session container; a failure is logged (the reaper removes it later).</summary>
    public async Task RemoveAsync(string id)
    {
        try
        {
            await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Containers.RemoveContainerAsync(
                    id, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone.
        }
        catch (Exception ex) when (ex is DockerApiException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException
                                   || IsEngineUnreachable(ex))
        {
            // The reaper removes it: once stopped for a while (SandboxReaper.RemoveLeftoversAsync), or at the next start.
            LogRemoveFailed(ex, id);
        }
    }

    /// <summary>True when <paramref name="ex"/> says the engine did not answer (down, restarting, socket gone).</summary>
    public static bool IsEngineUnreachable(Exception ex) =>
        ex is HttpRequestException or SocketException || ex.InnerException is SocketException;

    /// <summary>The 503 for an engine that did not answer.</summary>
    public static ServiceUnavailableException EngineUnavailable(Exception ex) =>
        new("The Docker engine is unavailable; try again shortly.", EngineRetryAfter, ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The engine's events of container {ContainerId} could not be read (was it OOM-killed?): {Reason}")]
    private partial void LogOomEventsUnreadable(string containerId, string reason);

    private static string UnixTime(DateTimeOffset time)
    {
        var milliseconds = time.ToUnixTimeMilliseconds();
        return string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1000}.{milliseconds % 1000:D3}");
    }

    /// <summary>Calls back on the engine's first event (the query asks for the one it looks for only).</summary>
    private sealed class Progress(Action onEvent) : IProgress<Message>
    {
        public void Report(Message value) => onEvent();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kill of container {ContainerId} failed: {Reason}")]
    private partial void LogKillFailed(string containerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The engine did not confirm the kill of container {ContainerId} within {Seconds} s; its removal settles it")]
    private partial void LogKillTimedOut(string containerId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Container {ContainerId} could not be removed; the reaper removes it once it has been stopped for a while, or at the next start")]
    private partial void LogRemoveFailed(Exception ex, string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An empty volume {Volume}, created by a sandbox's mount after its package environment was removed, could not be removed")]
    private partial void LogStrayVolumeKept(string volume);
}
