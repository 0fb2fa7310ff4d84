using System.Diagnostics;
using CodeInterpreter.Domain.Egress;
using CodeInterpreter.Infrastructure.Egress;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Egress;

/// <summary>
/// The egress proxy on the real engine: started again when it dies (on every live sandbox's network), a registration
/// that ends at once, and each sandbox's own network, removed after it.
/// </summary>
[NonParallelizable]
public sealed class EgressProxyTests
{
    private EgressTestHosts _hosts = null!;
    private IDockerClient _docker = null!;
    private EgressProxy _proxy = null!;
    private string? _client;
    private string _instance = "";
    private EgressAttachment? _attachment;

    [SetUp]
    public async Task StartAsync()
    {
        _hosts = await EgressTestHosts.StartAsync();
        _docker = RealEngine.CreateClient();
        _instance = $"egress-tests-{Guid.NewGuid():N}"[..24];
        _proxy = CreateProxy();
        await _proxy.EnsureRunningAsync(CancellationToken.None);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_client is not null)
        {
            await _docker.Containers.RemoveContainerAsync(_client, new ContainerRemoveParameters { Force = true });
        }

        if (_attachment is not null)
        {
            await _proxy.DetachAsync(_attachment);
        }

        await StopAndCleanUpAsync();
        _proxy.Dispose();
        _docker.Dispose();
        _hosts.Dispose();
    }

    [Test]
    public async Task A_proxy_that_died_is_started_again_with_the_allow_lists_of_the_sandboxes_still_running()
    {
        await StartClientAsync();
        var address = await _proxy.RegisterAsync(_attachment!, [Host($"allowed.{EgressTestHosts.Domain}")], CancellationToken.None);
        var first = (await _docker.Containers.InspectContainerAsync(_proxy.ContainerName)).ID;
        await _docker.Containers.KillContainerAsync(first, new ContainerKillParameters { Signal = "KILL" });

        await _proxy.EnsureRunningAsync(CancellationToken.None);

        var second = await _docker.Containers.InspectContainerAsync(_proxy.ContainerName);
        second.ID.Should().NotBe(first);
        second.State!.Running.Should().BeTrue();
        second.NetworkSettings!.Networks.Should().ContainKey(_attachment!.Network, "the new proxy joins the network of the sandbox that outlived the old one");
        (await FetchAsync()).Should().Be("200 first");
        await _proxy.UnregisterAsync(address);
        (await FetchAsync()).Should().StartWith("403 ");
    }

    [Test]
    public async Task Once_a_registration_is_removed_the_same_address_is_refused_at_once()
    {
        await StartClientAsync();
        var address = await _proxy.RegisterAsync(_attachment!, [Host($"allowed.{EgressTestHosts.Domain}")], CancellationToken.None);
        (await FetchAsync()).Should().Be("200 first");

        await _proxy.UnregisterAsync(address);

        (await FetchAsync()).Should().StartWith("403 ").And.Contain("rule: allow-list");
        var log = _proxy.Log!.Collect(address);
        log.Should().Contain(e => e.Host == $"allowed.{EgressTestHosts.Domain}" && e.Allowed && e.Bytes > 0);
    }

    private static EgressHost Host(string text) =>
        EgressHost.TryParse(text, allowAnyHost: false, out var host, out var problem) ? host : throw new ArgumentException(problem);

    [Test]
    public async Task A_sandbox_network_is_removed_after_its_sandbox_and_one_left_by_an_earlier_process_at_the_next_start()
    {
        await StartClientAsync();
        var attachment = _attachment!;
        var leftover = await _proxy.AttachAsync(CancellationToken.None);
        await _docker.Containers.RemoveContainerAsync(_client!, new ContainerRemoveParameters { Force = true });
        _client = null;

        await _proxy.DetachAsync(attachment);
        _attachment = null;
        var afterDetach = await NetworkNamesAsync();
        using var nextProcess = CreateProxy();
        await nextProcess.RemoveLeftoverNetworksAsync(CancellationToken.None);

        afterDetach.Should().NotContain(attachment.Network).And.Contain(leftover.Network);
        (await NetworkNamesAsync()).Should().BeEmpty("the next process of the instance removes what the last one left, the proxy's endpoint on it too");
    }

    [Test]
    public async Task Each_sandbox_gets_its_own_block_of_the_pool_with_the_proxy_on_it()
    {
        var first = await _proxy.AttachAsync(CancellationToken.None);
        var second = await _proxy.AttachAsync(CancellationToken.None);
        try
        {
            first.Subnet.Cidr.Should().NotBe(second.Subnet.Cidr);
            var inspected = await _docker.Networks.InspectNetworkAsync(first.Network);
            inspected.Internal.Should().BeTrue();
            inspected.IPAM.Config.Should().ContainSingle(c => c.Subnet == first.Subnet.Cidr);
            inspected.Containers.Values.Should().ContainSingle(c => c.IPv4Address.StartsWith(first.Subnet.ProxyAddress + "/", StringComparison.Ordinal));
        }
        finally
        {
            await _proxy.DetachAsync(first);
            await _proxy.DetachAsync(second);
        }
    }

    [Test]
    public async Task A_missing_image_is_loaded_from_EGRESS_PROXY_IMAGE_TAR_and_a_missing_archive_is_named()
    {
        var tag = $"code-interpreter-egress-proxy:tar-test-{Guid.NewGuid():N}"[..52];
        var archive = Path.Combine(Path.GetTempPath(), $"egress-proxy-{Guid.NewGuid():N}.tar");
        await DockerCliAsync("tag", EgressTestHosts.ProxyImage, tag);
        await DockerCliAsync("save", "-o", archive, tag);
        await DockerCliAsync("rmi", tag);
        var instance = _instance + "-tar";
        using var missing = CreateProxy(instance, tag, archive + ".missing");
        using var loading = CreateProxy(instance, tag, archive);
        try
        {
            var refused = () => missing.EnsureRunningAsync(CancellationToken.None);
            (await refused.Should().ThrowAsync<EgressProxyException>()).Which.Message.Should().Contain(tag).And.Contain("EGRESS_PROXY_IMAGE_TAR=" + archive + ".missing");

            await loading.EnsureRunningAsync(CancellationToken.None);

            loading.IsRunning.Should().BeTrue();
            (await _docker.Images.InspectImageAsync(tag)).Should().NotBeNull();
        }
        finally
        {
            await loading.StopAsync(CancellationToken.None);
            File.Delete(archive);
            await DockerCliAsync("rmi", tag);
        }
    }

    private static async Task DockerCliAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await error);
    }

    private EgressProxy CreateProxy(string instance, string image, string archive) => new(
        _docker,
        MsOptions.Create(new EgressOptions { ProxyImage = image, ProxyImageTar = archive, DenyCidrs = _hosts.Settings()["EGRESS_DENY_CIDRS"], HostsFile = _hosts.HostsFile }),
        MsOptions.Create(new SandboxOptions { Instance = instance }),
        NullLogger<EgressProxy>.Instance);

    private EgressProxy CreateProxy() => new(
        _docker,
        MsOptions.Create(new EgressOptions { ProxyImage = EgressTestHosts.ProxyImage, DenyCidrs = _hosts.Settings()["EGRESS_DENY_CIDRS"], HostsFile = _hosts.HostsFile }),
        MsOptions.Create(new SandboxOptions { Instance = _instance }),
        NullLogger<EgressProxy>.Instance);

    private async Task StopAndCleanUpAsync()
    {
        await _proxy.StopAsync(CancellationToken.None);
        await _proxy.RemoveLeftoverNetworksAsync(CancellationToken.None);
    }

    private async Task<List<string>> NetworkNamesAsync() =>
        [.. (await _docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={_instance}"] = true },
            },
        })).Select(n => n.Name)];

    /// <summary>A container on its own internal network that stays up, standing for a sandbox whose code outlives its registration.</summary>
    private async Task StartClientAsync()
    {
        _attachment = await _proxy.AttachAsync(CancellationToken.None);
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = RealEngine.ExecutorImage,
            Entrypoint = ["python3", "-c", "import time; time.sleep(300)"],
            User = "10001:10001",
            Labels = new Dictionary<string, string> { ["code-interpreter.egress-test"] = "true" },
            HostConfig = new HostConfig { NetworkMode = _attachment.Network, CapDrop = ["ALL"] },
            NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings>
                {
                    [_attachment.Network] = new() { IPAMConfig = new EndpointIPAMConfig { IPv4Address = _attachment.SandboxAddress } },
                },
            },
        });
        _client = created.ID;
        await _docker.Containers.StartContainerAsync(_client, new ContainerStartParameters());
    }

    /// <summary>One request from the client container through the proxy, as the code would make it.</summary>
    private async Task<string> FetchAsync()
    {
        var code =
            "import urllib.request, urllib.error\n" +
            $"p = urllib.request.ProxyHandler({{'http': '{_attachment!.ProxyUrl}'}})\n" +
            "try:\n" +
            $"    r = urllib.request.build_opener(p).open('http://allowed.{EgressTestHosts.Domain}:{_hosts.FirstPort}/', timeout=15)\n" +
            "    print(r.status, r.read().decode())\n" +
            "except urllib.error.HTTPError as e:\n" +
            "    print(e.code, e.read().decode().strip())\n";
        using var process = Process.Start(new ProcessStartInfo("docker", ["exec", _client!, "python3", "-c", code])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, error);
        return output.Trim();
    }
}
