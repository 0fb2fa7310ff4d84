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

/// <summary>The egress proxy on the real engine: started again when it dies, and a registration that ends at once.</summary>
[NonParallelizable]
public sealed class EgressProxyTests
{
    private EgressTestHosts _hosts = null!;
    private IDockerClient _docker = null!;
    private EgressProxy _proxy = null!;
    private string? _client;

    [SetUp]
    public async Task StartAsync()
    {
        _hosts = await EgressTestHosts.StartAsync();
        _docker = RealEngine.CreateClient();
        var settings = _hosts.Settings();
        _proxy = new EgressProxy(
            _docker,
            MsOptions.Create(new EgressOptions { ProxyImage = EgressTestHosts.ProxyImage, DenyCidrs = settings["EGRESS_DENY_CIDRS"], HostsFile = _hosts.HostsFile }),
            MsOptions.Create(new SandboxOptions { Instance = $"egress-tests-{Guid.NewGuid():N}"[..24] }),
            NullLogger<EgressProxy>.Instance);
        await _proxy.EnsureRunningAsync(CancellationToken.None);
    }

    [TearDown]
    public async Task StopAsync()
    {
        if (_client is not null)
        {
            await _docker.Containers.RemoveContainerAsync(_client, new ContainerRemoveParameters { Force = true });
        }

        await _proxy.StopAsync(CancellationToken.None);
        _proxy.Dispose();
        _docker.Dispose();
        _hosts.Dispose();
    }

    [Test]
    public async Task A_proxy_that_died_is_started_again_with_the_allow_lists_of_the_sandboxes_still_running()
    {
        await StartClientAsync();
        var address = await _proxy.RegisterAsync(_client!, [Host($"allowed.{EgressTestHosts.Domain}")], CancellationToken.None);
        var first = (await _docker.Containers.InspectContainerAsync(_proxy.ContainerName)).ID;
        await _docker.Containers.KillContainerAsync(first, new ContainerKillParameters { Signal = "KILL" });

        await _proxy.EnsureRunningAsync(CancellationToken.None);

        var second = await _docker.Containers.InspectContainerAsync(_proxy.ContainerName);
        second.ID.Should().NotBe(first);
        second.State!.Running.Should().BeTrue();
        _proxy.ProxyUrl.Should().NotBeNull();
        (await FetchAsync()).Should().Be("200 first");
        await _proxy.UnregisterAsync(address);
        (await FetchAsync()).Should().StartWith("403 ");
    }

    [Test]
    public async Task Once_a_registration_is_removed_the_same_address_is_refused_at_once()
    {
        await StartClientAsync();
        var address = await _proxy.RegisterAsync(_client!, [Host($"allowed.{EgressTestHosts.Domain}")], CancellationToken.None);
        (await FetchAsync()).Should().Be("200 first");

        await _proxy.UnregisterAsync(address);

        (await FetchAsync()).Should().StartWith("403 ").And.Contain("rule: allow-list");
        var log = _proxy.Log!.Collect(address);
        log.Should().Contain(e => e.Host == $"allowed.{EgressTestHosts.Domain}" && e.Allowed && e.Bytes > 0);
    }

    private static EgressHost Host(string text) =>
        EgressHost.TryParse(text, allowAnyHost: false, out var host, out var problem) ? host : throw new ArgumentException(problem);

    /// <summary>A container on the internal network that stays up, standing for a sandbox whose code outlives its registration.</summary>
    private async Task StartClientAsync()
    {
        var created = await _docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = RealEngine.ExecutorImage,
            Entrypoint = ["python3", "-c", "import time; time.sleep(300)"],
            User = "10001:10001",
            Labels = new Dictionary<string, string> { ["code-interpreter.egress-test"] = "true" },
            HostConfig = new HostConfig { NetworkMode = EgressProxy.InternalNetwork, CapDrop = ["ALL"] },
        });
        _client = created.ID;
        await _docker.Containers.StartContainerAsync(_client, new ContainerStartParameters());
    }

    /// <summary>One request from the client container through the proxy, as the code would make it.</summary>
    private async Task<string> FetchAsync()
    {
        var code =
            "import urllib.request, urllib.error\n" +
            $"p = urllib.request.ProxyHandler({{'http': '{_proxy.ProxyUrl}'}})\n" +
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
