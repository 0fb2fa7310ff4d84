using System.Formats.Tar;
using System.Net;
using System.Text;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Egress;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// The egress proxy container (Debian's squid with the allow-list helper, docker/egress-proxy) and the internal
/// networks it shares with sandboxes that have restricted egress: one per sandbox, a /29 of EGRESS_SUBNET_POOL with
/// no route out and no address of this host on its bridge, so the proxy is a sandbox's only peer (never another
/// sandbox); the proxy also sits on the engine's default bridge for its own traffic. Each sandbox's allow-list is
/// written into the proxy under the sandbox's address when the sandbox starts and emptied before it is removed (the
/// helper reads it on every request); the network goes after the sandbox.
/// </summary>
internal sealed partial class EgressProxy(
    IDockerClient docker, IOptions<EgressOptions> options, IOptions<SandboxOptions> sandbox, ILogger<EgressProxy> logger) : IDisposable
{
    /// <summary>Label of every sandbox's internal network (with <see cref="SandboxLabels.Instance"/>).</summary>
    public const string NetworkLabel = "code-interpreter.egress-network";

    /// <summary>Label of the proxy container: the service instance it belongs to.</summary>
    public const string ProxyLabel = "code-interpreter.egress-proxy";

    private const string AllowDirectory = "/run/egress/allow";
    private const int MaxSubnetAttempts = 64;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LogSettleLimit = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LogQuietPeriod = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(20);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _registrations = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, EgressAttachment> _attachments = new(StringComparer.Ordinal);
    private readonly EgressSubnets _subnets = new(options.Value.SubnetPool);
    private volatile Running? _running;

    /// <summary>The container's name: one proxy per service instance (SANDBOX_INSTANCE).</summary>
    public string ContainerName => $"code-interpreter-egress-proxy-{sandbox.Value.Instance}";

    /// <summary>Whether the proxy runs (as far as the last check knows).</summary>
    public bool IsRunning => _running is not null;

    /// <summary>The access log of the running proxy; null while it is not running.</summary>
    public EgressProxyLog? Log => _running?.Log;

    /// <summary>Starts the proxy unless it runs (again, when it died or was removed); throws when it cannot.</summary>
    public async Task EnsureRunningAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_running is { } running && await IsRunningAsync(running.ContainerId, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (_running is { } dead)
            {
                _running = null;
                dead.Log.Dispose();
                LogRestarting(ContainerName);
            }

            var started = await StartAsync(cancellationToken).ConfigureAwait(false);
            // Sandboxes that run on (a proxy that died) keep their networks and allow-lists: the new proxy joins each
            // network at the address the sandbox knows, and gets the lists before anyone can use it.
            foreach (var attachment in _attachments.Values)
            {
                try
                {
                    await ConnectAsync(started.ContainerId, attachment, cancellationToken).ConfigureAwait(false);
                }
                catch (DockerNetworkNotFoundException)
                {
                    // Its sandbox ended meanwhile and the network went with it.
                }
            }

            foreach (var (address, rules) in _registrations)
            {
                started.Log.Track(address);
                await WriteAllowListAsync(started.ContainerId, address, rules, cancellationToken).ConfigureAwait(false);
            }

            _running = started;
            LogStarted(ContainerName, _attachments.Count);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A new internal network for one sandbox, the proxy on it: create the sandbox on it (its address is fixed, so the
    /// proxy knows it by that), then <see cref="RegisterAsync"/>; <see cref="DetachAsync"/> after the sandbox is removed.
    /// </summary>
    public async Task<EgressAttachment> AttachAsync(CancellationToken cancellationToken)
    {
        var running = _running ?? throw NotRunning();
        var instance = sandbox.Value.Instance;
        for (var attempt = 0; attempt < MaxSubnetAttempts; attempt++)
        {
            var subnet = _subnets.Take() ?? throw PoolExhausted();
            var name = $"code-interpreter-egress-{instance}-{Guid.NewGuid().ToString("N")[..12]}";
            try
            {
                await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
                {
                    Name = name,
                    Driver = "bridge",
                    // No route out, and no address of this host on the bridge: the only way out is the proxy.
                    Internal = true,
                    Options = new Dictionary<string, string> { ["com.docker.network.bridge.inhibit_ipv4"] = "true" },
                    IPAM = new IPAM { Driver = "default", Config = [new IPAMConfig { Subnet = subnet.Cidr, Gateway = subnet.Gateway }] },
                    Labels = new Dictionary<string, string> { [NetworkLabel] = "true", [SandboxLabels.Instance] = instance },
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (IsOverlap(ex))
            {
                // The block is in use by another network of this engine (another service's sandbox, say): the next one.
                _subnets.Return(subnet);
                continue;
            }
            catch
            {
                _subnets.Return(subnet);
                throw;
            }

            var attachment = new EgressAttachment(name, subnet);
            _attachments[name] = attachment;
            try
            {
                await ConnectAsync(running.ContainerId, attachment, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await DetachAsync(attachment).ConfigureAwait(false);
                throw;
            }

            return attachment;
        }

        throw PoolExhausted();
    }

    /// <summary>Removes a sandbox's network (the sandbox is gone) and frees its block.</summary>
    public async Task DetachAsync(EgressAttachment attachment)
    {
        _attachments.TryRemove(attachment.Network, out _);
        if (await RemoveNetworkAsync(attachment.Network, CancellationToken.None).ConfigureAwait(false))
        {
            _subnets.Return(attachment.Subnet);
        }
    }

    /// <summary>
    /// Removes this instance's sandbox networks that no sandbox of this process uses: an earlier process's (at start)
    /// or any left at shutdown. Whatever is still attached to one is disconnected first.
    /// </summary>
    public async Task RemoveLeftoverNetworksAsync(CancellationToken cancellationToken)
    {
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{NetworkLabel}=true"] = true, [$"{SandboxLabels.Instance}={sandbox.Value.Instance}"] = true },
            },
        }, cancellationToken).ConfigureAwait(false);
        var removed = 0;
        foreach (var network in networks.Where(n => !_attachments.ContainsKey(n.Name)))
        {
            if (await RemoveNetworkAsync(network.ID, cancellationToken).ConfigureAwait(false))
            {
                removed++;
            }
        }

        if (removed > 0)
        {
            LogLeftoverNetworksRemoved(removed, sandbox.Value.Instance);
        }
    }

    /// <summary>
    /// Lets the sandbox on <paramref name="attachment"/> reach <paramref name="hosts"/> from now on: its address is
    /// returned, to pass to <see cref="UnregisterAsync"/> before the sandbox is removed.
    /// </summary>
    public async Task<string> RegisterAsync(EgressAttachment attachment, IReadOnlyList<EgressHost> hosts, CancellationToken cancellationToken)
    {
        var running = _running ?? throw NotRunning();
        var address = attachment.SandboxAddress;
        var rules = string.Concat(hosts.Select(h => h.ToProxyRule() + "\n"));
        running.Log.Track(address);
        _registrations[address] = rules;
        await WriteAllowListAsync(running.ContainerId, address, rules, cancellationToken).ConfigureAwait(false);
        return address;
    }

    /// <summary>Ends what <see cref="RegisterAsync"/> allowed: from now on the proxy refuses the address everything.</summary>
    public async Task UnregisterAsync(string address)
    {
        _registrations.TryRemove(address, out _);
        if (_running is { } running)
        {
            await WriteAllowListAsync(running.ContainerId, address, "", CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What the proxy logged for <paramref name="address"/> since it was registered. squid logs a request when it
    /// ends and its output reaches here a moment later, so this waits until nothing new came for a short while.
    /// </summary>
    public async Task<IReadOnlyList<NetworkRequest>> CollectLogAsync(string address, CancellationToken cancellationToken)
    {
        if (_running?.Log is not { } log)
        {
            return [];
        }

        var deadline = DateTime.UtcNow + LogSettleLimit;
        var seen = log.Count(address);
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - quietSince < LogQuietPeriod)
        {
            await Task.Delay(LogPollInterval, cancellationToken).ConfigureAwait(false);
            var count = log.Count(address);
            if (count != seen)
            {
                seen = count;
                quietSince = DateTime.UtcNow;
            }
        }

        return [.. log.Collect(address).Select(e => new NetworkRequest(e.Host, e.Port, e.Allowed, e.Bytes))];
    }

    /// <summary>Stops and removes the proxy (at shutdown).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is { } running)
        {
            _running = null;
            running.Log.Dispose();
        }

        await RemoveByNameAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _running?.Log.Dispose();
        _gate.Dispose();
    }

    private static ServiceUnavailableException NotRunning() =>
        new("the egress proxy is not running yet (see /health/ready)", TimeSpan.FromSeconds(5));

    private ServiceUnavailableException PoolExhausted() =>
        new($"no free /{EgressOptions.SandboxSubnetPrefix} network in EGRESS_SUBNET_POOL={options.Value.SubnetPool} ({_subnets.Count} in all, "
            + "taken by this service's sandboxes with egress or by other networks of the engine): try again when some have ended, or widen the range",
            TimeSpan.FromSeconds(5));

    /// <summary>The engine refused a subnet that overlaps one of its networks (the wording differs between engine versions).</summary>
    private static bool IsOverlap(DockerApiException ex) =>
        ex.ResponseBody?.Contains("overlap", StringComparison.OrdinalIgnoreCase) == true;

    private Task ConnectAsync(string proxyId, EgressAttachment attachment, CancellationToken cancellationToken) =>
        docker.Networks.ConnectNetworkAsync(attachment.Network, new NetworkConnectParameters
        {
            Container = proxyId,
            EndpointConfig = new EndpointSettings { IPAMConfig = new EndpointIPAMConfig { IPv4Address = attachment.Subnet.ProxyAddress } },
        }, cancellationToken);

    /// <summary>Disconnects what is on the network (the proxy; a sandbox left over) and deletes it; false when it stays.</summary>
    private async Task<bool> RemoveNetworkAsync(string network, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await docker.Networks.InspectNetworkAsync(network, cancellationToken).ConfigureAwait(false);
            foreach (var container in inspected.Containers?.Keys ?? [])
            {
                try
                {
                    await docker.Networks.DisconnectNetworkAsync(network, new NetworkDisconnectParameters { Container = container, Force = true }, cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
                {
                    // Removed meanwhile.
                }
            }

            await docker.Networks.DeleteNetworkAsync(network, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerNetworkNotFoundException)
        {
            return true;
        }
        catch (DockerApiException ex)
        {
            // E.g. the engine away: the cleanup at the next start or at shutdown takes it.
            LogNetworkNotRemoved(network, ex.StatusCode, ex.ResponseBody);
            return false;
        }
    }

    private async Task<Running> StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await EnsureImageAsync(settings, cancellationToken).ConfigureAwait(false);

        await RemoveByNameAsync(cancellationToken).ConfigureAwait(false);
        var created = await docker.Containers.CreateContainerAsync(ProxyContainerSpec.Build(settings.ProxyImage, ContainerName, sandbox.Value.Instance), cancellationToken)
            .ConfigureAwait(false);
        var hostsFile = string.IsNullOrEmpty(settings.HostsFile) ? null : await File.ReadAllBytesAsync(settings.HostsFile, cancellationToken).ConfigureAwait(false);
        var configuration = SquidConfiguration.Build(await DenyCidrsAsync(settings, cancellationToken).ConfigureAwait(false), hostsFile is not null);
        var files = new List<(string Name, byte[] Content)> { (SquidConfiguration.FileName, Encoding.UTF8.GetBytes(configuration)) };
        if (hostsFile is not null)
        {
            files.Add((SquidConfiguration.HostsFileName, hostsFile));
        }

        await PutFilesAsync(created.ID, SquidConfiguration.Directory, files, cancellationToken).ConfigureAwait(false);
        var log = new EgressProxyLog(docker, created.ID, logger);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            log.Follow();
            await log.WaitAcceptingAsync(StartDeadline, cancellationToken).ConfigureAwait(false);
            return new Running(created.ID, log);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>The proxy image: present, else loaded from EGRESS_PROXY_IMAGE_TAR; throws saying what is missing.</summary>
    private async Task EnsureImageAsync(EgressOptions settings, CancellationToken cancellationToken)
    {
        if (await ImageExistsAsync(settings.ProxyImage, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var archive = settings.ProxyImageTar;
        if (string.IsNullOrEmpty(archive))
        {
            throw new EgressProxyException(
                $"the egress proxy image {settings.ProxyImage} is missing (EGRESS_PROXY_IMAGE; docker/egress-proxy/build.sh builds it, or set EGRESS_PROXY_IMAGE_TAR to an archive of it)");
        }

        if (!File.Exists(archive))
        {
            throw new EgressProxyException($"the egress proxy image {settings.ProxyImage} is missing and EGRESS_PROXY_IMAGE_TAR={archive} does not exist");
        }

        LogLoadingImage(settings.ProxyImage, archive);
        var stream = File.OpenRead(archive);
        await using (stream.ConfigureAwait(false))
        {
            await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, stream, new Progress<JSONMessage>(), cancellationToken)
                .ConfigureAwait(false);
        }

        if (!await ImageExistsAsync(settings.ProxyImage, cancellationToken).ConfigureAwait(false))
        {
            throw new EgressProxyException(
                $"the egress proxy image {settings.ProxyImage} is still missing after loading EGRESS_PROXY_IMAGE_TAR={archive} (does it hold that image?)");
        }
    }

    private async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// EGRESS_DENY_CIDRS, or its default plus the subnets of the engine's default bridge; and always
    /// EGRESS_SUBNET_POOL, so no sandbox reaches another through the proxy either.
    /// </summary>
    private async Task<IReadOnlyList<string>> DenyCidrsAsync(EgressOptions settings, CancellationToken cancellationToken)
    {
        var cidrs = settings.ConfiguredDenyCidrs().ToList();
        if (!cidrs.Contains(settings.SubnetPool))
        {
            cidrs.Add(settings.SubnetPool);
        }

        if (settings.DenyCidrs is null)
        {
            var bridge = await docker.Networks.InspectNetworkAsync("bridge", cancellationToken).ConfigureAwait(false);
            cidrs.AddRange(bridge.IPAM?.Config?.Select(c => c.Subnet).Where(s => !string.IsNullOrEmpty(s) && !cidrs.Contains(s)) ?? []);
        }

        return cidrs;
    }

    private async Task<bool> IsRunningAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await docker.Containers.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            return inspected.State?.Running == true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    private async Task RemoveByNameAsync(CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(ContainerName, new ContainerRemoveParameters { Force = true }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Nothing left from an earlier run.
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            // Already being removed (a second stop at shutdown).
        }
    }

    private Task WriteAllowListAsync(string containerId, string address, string content, CancellationToken cancellationToken) =>
        PutFilesAsync(containerId, AllowDirectory, [(address, Encoding.UTF8.GetBytes(content))], cancellationToken);

    private async Task PutFilesAsync(string containerId, string directory, IReadOnlyList<(string Name, byte[] Content)> files, CancellationToken cancellationToken)
    {
        using var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                writer.WriteEntry(entry);
            }
        }

        archive.Position = 0;
        await docker.Containers.ExtractArchiveToContainerAsync(containerId, new CopyToContainerParameters { Path = directory }, archive, cancellationToken)
            .ConfigureAwait(false);
    }

    private sealed record Running(string ContainerId, EgressProxyLog Log);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress proxy {Container} started, on the networks of {Sandboxes} running sandbox(es)")]
    private partial void LogStarted(string container, int sandboxes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress proxy {Container} is not running any more; starting it again")]
    private partial void LogRestarting(string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading the egress proxy image {Image} from {Archive}")]
    private partial void LogLoadingImage(string image, string archive);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed {Count} leftover egress network(s) of instance '{Instance}'")]
    private partial void LogLeftoverNetworksRemoved(int count, string instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress network {Network} not removed this time: {StatusCode} {Body}")]
    private partial void LogNetworkNotRemoved(string network, HttpStatusCode statusCode, string? body);
}

/// <summary>The egress proxy could not be started, for a reason a person can act on.</summary>
internal sealed class EgressProxyException(string message) : Exception(message);
