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
/// network it shares with sandboxes that have restricted egress. The network has no route out and its bridge no
/// address on this host, so the proxy is a sandbox's only peer besides other sandboxes; the proxy also sits on the
/// engine's default bridge for its own traffic. Each sandbox's allow-list is written into the proxy under the
/// sandbox's address when the sandbox starts and emptied before it is removed (the helper reads it on every request).
/// </summary>
internal sealed partial class EgressProxy(
    IDockerClient docker, IOptions<EgressOptions> options, IOptions<SandboxOptions> sandbox, ILogger<EgressProxy> logger) : IDisposable
{
    /// <summary>The internal network of sandboxes with restricted egress.</summary>
    public const string InternalNetwork = "code-interpreter-egress";

    /// <summary>Label of the proxy container: the service instance it belongs to.</summary>
    public const string ProxyLabel = "code-interpreter.egress-proxy";

    private const string AllowDirectory = "/run/egress/allow";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LogSettleLimit = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LogQuietPeriod = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(20);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _registrations = new(StringComparer.Ordinal);
    private volatile Running? _running;

    /// <summary>The container's name: one proxy per service instance (SANDBOX_INSTANCE).</summary>
    public string ContainerName => $"code-interpreter-egress-proxy-{sandbox.Value.Instance}";

    /// <summary>The proxy's URL on the internal network; null while it is not running.</summary>
    public string? ProxyUrl => _running is { } running ? $"http://{running.Address}:{SquidConfiguration.Port}" : null;

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
            // Sandboxes that run on (a proxy that died) keep their allow-lists: the new proxy gets them before anyone
            // can use it. They reach it if it got the same address, which the engine gives it when nothing took it meanwhile.
            foreach (var (address, rules) in _registrations)
            {
                started.Log.Track(address);
                await WriteAllowListAsync(started.ContainerId, address, rules, cancellationToken).ConfigureAwait(false);
            }

            _running = started;
            LogStarted(ContainerName, started.Address);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Lets the sandbox <paramref name="containerId"/> reach <paramref name="hosts"/> from now on: its address on the
    /// internal network is returned, to pass to <see cref="UnregisterAsync"/> before the sandbox is removed.
    /// </summary>
    public async Task<string> RegisterAsync(string containerId, IReadOnlyList<EgressHost> hosts, CancellationToken cancellationToken)
    {
        var running = _running ?? throw NotRunning();
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        var address = inspected.NetworkSettings?.Networks is { } networks && networks.TryGetValue(InternalNetwork, out var endpoint)
            && IPAddress.TryParse(endpoint.IPAddress, out var parsed)
            ? parsed.ToString()
            : throw new InvalidOperationException($"the sandbox {containerId} has no address on {InternalNetwork}");
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

    private async Task<Running> StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            await docker.Images.InspectImageAsync(settings.ProxyImage, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerImageNotFoundException)
        {
            throw new EgressProxyException(
                $"the egress proxy image {settings.ProxyImage} is missing (EGRESS_PROXY_IMAGE; docker/egress-proxy/build.sh builds it)");
        }

        await EnsureNetworkAsync(cancellationToken).ConfigureAwait(false);
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
        await docker.Networks.ConnectNetworkAsync(InternalNetwork, new NetworkConnectParameters { Container = created.ID }, cancellationToken)
            .ConfigureAwait(false);
        var log = new EgressProxyLog(docker, created.ID, logger);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            log.Follow();
            await log.WaitAcceptingAsync(StartDeadline, cancellationToken).ConfigureAwait(false);
            var inspected = await docker.Containers.InspectContainerAsync(created.ID, cancellationToken).ConfigureAwait(false);
            var address = inspected.NetworkSettings?.Networks?.TryGetValue(InternalNetwork, out var endpoint) == true ? endpoint.IPAddress : null;
            if (string.IsNullOrEmpty(address))
            {
                throw new EgressProxyException($"the egress proxy has no address on {InternalNetwork}");
            }

            return new Running(created.ID, address, log);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>EGRESS_DENY_CIDRS, or its default plus the subnets of the engine's default bridge.</summary>
    private async Task<IReadOnlyList<string>> DenyCidrsAsync(EgressOptions settings, CancellationToken cancellationToken)
    {
        var cidrs = settings.ConfiguredDenyCidrs().ToList();
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

    private async Task EnsureNetworkAsync(CancellationToken cancellationToken)
    {
        var networks = await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [InternalNetwork] = true } },
        }, cancellationToken).ConfigureAwait(false);
        if (networks.Any(n => n.Name == InternalNetwork))
        {
            return;
        }

        var created = await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = InternalNetwork,
            Driver = "bridge",
            // No route out, and no address of this host on the bridge: the only way out is the proxy.
            Internal = true,
            Options = new Dictionary<string, string> { ["com.docker.network.bridge.inhibit_ipv4"] = "true" },
            Labels = new Dictionary<string, string> { [SandboxLabels.Sandbox] = "network" },
        }, cancellationToken).ConfigureAwait(false);
        LogNetworkCreated(InternalNetwork);

        // Two services on one engine may both have found it missing, and the engine allows twins of one name: the
        // oldest stays, a younger one (ours) goes, so every service attaches to the same network.
        var twins = (await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [InternalNetwork] = true } },
        }, cancellationToken).ConfigureAwait(false)).Where(n => n.Name == InternalNetwork).OrderBy(n => n.Created).ThenBy(n => n.ID, StringComparer.Ordinal).ToList();
        if (twins.Count > 1 && twins[0].ID != created.ID)
        {
            await docker.Networks.DeleteNetworkAsync(created.ID, cancellationToken).ConfigureAwait(false);
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

    private sealed record Running(string ContainerId, string Address, EgressProxyLog Log);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress proxy {Container} started at {Address} on the internal network")]
    private partial void LogStarted(string container, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Egress proxy {Container} is not running any more; starting it again")]
    private partial void LogRestarting(string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the internal network {Network} (no route out) for restricted egress")]
    private partial void LogNetworkCreated(string network);
}

/// <summary>The egress proxy could not be started, for a reason a person can act on.</summary>
internal sealed class EgressProxyException(string message) : Exception(message);
