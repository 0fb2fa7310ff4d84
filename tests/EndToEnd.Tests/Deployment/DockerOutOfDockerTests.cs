using System.Formats.Tar;
using CodeInterpreter.EndToEnd.Tests.Hosting;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.EndToEnd.Tests.Deployment;

/// <summary>
/// The engine-less image on the host's engine:
/// `docker run -v /var/run/docker.sock:/var/run/docker.sock -p 8000:8000 code-interpreter:dood`.
/// Sandboxes are the host engine's containers, so they must all be gone when the service stops.
/// </summary>
[TestFixture]
public sealed class DockerOutOfDockerTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    [Test]
    public async Task Container_on_the_host_socket_runs_code_with_files_in_host_sandboxes_and_leaves_none_when_stopped()
    {
        var image = await PackagedImages.DockerOutOfDockerAsync();
        var instance = $"e2e-dood-{Guid.NewGuid().ToString("N")[..8]}";
        await using var api = await ApiContainer.StartAsync(new ApiContainerSpec(image, "dood")
        {
            RunFlags = HostSocketMount(),
            Environment = new Dictionary<string, string>
            {
                ["EXECUTOR_IMAGE"] = RealEngine.ExecutorImage,
                ["SANDBOX_INSTANCE"] = instance,
                ["POOL_SIZE"] = "2",
            },
        });

        var timeToReady = await api.WaitUntilReadyAsync(ReadyTimeout);
        await TestContext.Progress.WriteLineAsync($"[e2e] time-to-ready of the DooD container: {timeToReady.TotalSeconds:0.0} s");
        await FileAndPlotScenario.RunAsync(api.Client);
        (await RealEngine.EventuallyAsync(async () => await RealEngine.CountSandboxesAsync(instance) > 0, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the warm pool's sandboxes are containers of the host's engine");

        var exitCode = await api.StopAsync();

        exitCode.Should().Be(0, "SIGTERM reaches the service, which drains its pool");
        (await RealEngine.CountSandboxesAsync(instance)).Should().Be(0, "no sandbox is left on the host's engine");
        (await api.LogsAsync()).Should().Contain("Docker-out-of-Docker").And.Contain("Sandbox pool drained");
    }

    [Test]
    public async Task Executor_image_is_loaded_from_EXECUTOR_IMAGE_TAR_and_restored_when_it_disappears_later()
    {
        var image = await PackagedImages.DockerOutOfDockerAsync();
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"ci-e2e-{Guid.NewGuid():N}")).FullName;
        // A tiny stand-in for the executor image (nothing runs it: POOL_SIZE=0), saved and then removed,
        // so the service must load it from the archive at start.
        var executor = $"code-interpreter-e2e-tiny:{Guid.NewGuid().ToString("N")[..12]}";
        try
        {
            await CreateTinyImageAsync(executor, folder);
            await HostCommand.DockerOkAsync(CommandTimeout, "save", "-o", Path.Combine(folder, "executor.tar"), executor);
            await HostCommand.DockerOkAsync(CommandTimeout, "rmi", executor);
            await using var api = await ApiContainer.StartAsync(new ApiContainerSpec(image, "dood-restore")
            {
                RunFlags = [.. HostSocketMount(), "-v", $"{folder}:/e2e:ro"],
                Environment = new Dictionary<string, string>
                {
                    ["EXECUTOR_IMAGE"] = executor,
                    ["EXECUTOR_IMAGE_TAR"] = "/e2e/executor.tar",
                    ["POOL_SIZE"] = "0",
                    ["SANDBOX_INSTANCE"] = $"e2e-restore-{Guid.NewGuid().ToString("N")[..8]}",
                },
            });
            await api.WaitUntilReadyAsync(ReadyTimeout);
            (await api.LogsAsync()).Should().Contain($"Loading executor image {executor} from /e2e/executor.tar");

            await HostCommand.DockerOkAsync(CommandTimeout, "rmi", executor);

            var restored = await RealEngine.EventuallyAsync(async () =>
                (await api.LogsAsync()).Contains($"The executor image {executor} disappeared", StringComparison.Ordinal)
                && (await HostCommand.DockerAsync(CommandTimeout, "image", "inspect", executor)).Succeeded,
                TimeSpan.FromSeconds(60));
            restored.Should().BeTrue($"the removal is noticed and the image loaded again; log:\n{await api.LogsAsync()}");
            await api.WaitUntilReadyAsync(ReadyTimeout);
        }
        finally
        {
            await HostCommand.DockerAsync(CommandTimeout, "rmi", executor);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task Engine_less_image_without_a_socket_exits_non_zero_and_says_what_to_mount()
    {
        var image = await PackagedImages.DockerOutOfDockerAsync();

        var run = await HostCommand.DockerAsync(
            CommandTimeout, "run", "--rm", "--name", $"ci-e2e-dood-nosocket-{Guid.NewGuid().ToString("N")[..8]}", image);

        run.ExitCode.Should().NotBe(0);
        run.Stderr.Should().Contain("-v /var/run/docker.sock:/var/run/docker.sock");
    }

    /// <summary>The host engine's socket, mounted where the image looks for it.</summary>
    private static string[] HostSocketMount()
    {
        var host = RealEngine.DockerHost;
        if (!host.StartsWith("unix://", StringComparison.Ordinal))
        {
            Assert.Fail($"Docker-out-of-Docker needs the engine's unix socket; DOCKER_HOST is {host}");
        }

        return ["-v", $"{host["unix://".Length..]}:/var/run/docker.sock"];
    }

    /// <summary>Imports a one-file image (no base image, no registry).</summary>
    private static async Task CreateTinyImageAsync(string reference, string folder)
    {
        var rootfs = Path.Combine(folder, "rootfs.tar");
        await using (var tar = File.Create(rootfs))
        {
            await using var writer = new TarWriter(tar);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream("stand-in executor image\n"u8.ToArray()),
            };
            await writer.WriteEntryAsync(entry);
        }

        await HostCommand.DockerOkAsync(CommandTimeout, "import", rootfs, reference);
    }
}
