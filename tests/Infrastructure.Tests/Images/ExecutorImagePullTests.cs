using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Images;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Images;

/// <summary>
/// The readiness gate's pull path, against a real registry (Debian's docker-registry) on loopback:
/// a missing executor image is pulled, with progress in the log, and the service becomes ready.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ExecutorImagePullTests
{
    private Process? _registry;
    private string _storage = null!;
    private int _port;

    [OneTimeSetUp]
    public async Task StartRegistryAsync()
    {
        await RealEngine.RequireAsync();
        const string binary = "/usr/bin/docker-registry";
        if (!File.Exists(binary))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("CI=true and docker-registry is not installed (./test.sh installs it)");
            }

            Assert.Ignore("docker-registry is not installed (./test.sh installs it)");
        }

        _storage = Directory.CreateTempSubdirectory("ci-registry-").FullName;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var config = Path.Combine(_storage, "config.yml");
        await File.WriteAllTextAsync(config,
            $"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {_storage}/data\nhttp:\n  addr: 127.0.0.1:{_port}\n");
        _registry = Process.Start(new ProcessStartInfo(binary, ["serve", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        _registry.ErrorDataReceived += (_, _) => { };
        _registry.OutputDataReceived += (_, _) => { };
        _registry.BeginErrorReadLine();
        _registry.BeginOutputReadLine();
        var up = await RealEngine.EventuallyAsync(async () =>
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, _port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        up.Should().BeTrue("the registry should listen within 30 s");
    }

    [OneTimeTearDown]
    public void StopRegistry()
    {
        if (_registry is { HasExited: false })
        {
            _registry.Kill(entireProcessTree: true);
        }

        _registry?.Dispose();
        if (_storage is not null)
        {
            Directory.Delete(_storage, recursive: true);
        }
    }

    [Test]
    public async Task A_missing_image_is_pulled_with_progress_and_the_service_becomes_ready()
    {
        using var docker = RealEngine.CreateClient();
        var image = $"127.0.0.1:{_port}/ci-pull-test:{Guid.NewGuid():N}";
        await PushTinyImageAsync(docker, image);
        await docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true });
        var readiness = new ServiceReadiness();
        var log = new RecordingLogger<ExecutorImageProvisioner>();
        var options = MsOptions.Create(new SandboxOptions
        {
            DockerHost = RealEngine.DockerHost,
            ExecutorImage = image,
            Instance = $"pull-tests-{Guid.NewGuid():N}"[..24],
        });
        using var provisioner = new ExecutorImageProvisioner(
            docker, new EngineResilience(), new SandboxReaper(docker, options, NullLogger<SandboxReaper>.Instance),
            readiness, options, TimeProvider.System, log);

        await provisioner.StartAsync(CancellationToken.None);
        var ready = await RealEngine.EventuallyAsync(() => Task.FromResult(readiness.IsReady), TimeSpan.FromSeconds(60));
        await provisioner.StopAsync(CancellationToken.None);

        ready.Should().BeTrue($"the image should be pulled from the local registry; last reason: {readiness.Reason}");
        (await docker.Images.InspectImageAsync(image)).Should().NotBeNull();
        log.Messages.Should().Contain(m => m.Contains("pull", StringComparison.OrdinalIgnoreCase), "the pull shows in the log");
        await docker.Images.DeleteImageAsync(image, new ImageDeleteParameters { Force = true });
    }

    private static async Task PushTinyImageAsync(IDockerClient docker, string image)
    {
        using var archive = new MemoryStream();
        await using (var tar = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt") { DataStream = new MemoryStream("hello"u8.ToArray()) };
            await tar.WriteEntryAsync(entry);
        }

        archive.Position = 0;
        var colon = image.LastIndexOf(':');
        await docker.Images.CreateImageAsync(
            new ImagesCreateParameters { FromSrc = "-", Repo = image[..colon], Tag = image[(colon + 1)..] },
            archive, new AuthConfig(), new Progress<JSONMessage>(), CancellationToken.None);
        await docker.Images.PushImageAsync(
            image[..colon], new ImagePushParameters { Tag = image[(colon + 1)..] }, new AuthConfig(), new Progress<JSONMessage>(), CancellationToken.None);
    }
}
