using CodeInterpreter.EndToEnd.Tests.Hosting;

namespace CodeInterpreter.EndToEnd.Tests.Deployment;

/// <summary>
/// The preloaded image with no network at all (`--network none`): no registry, no mirror, no DNS,
/// and the nested engine's data on a tmpfs.
/// It must become ready from what it carries. The test reaches it through a unix socket in a mounted
/// folder, the one way into a container without a network.
/// </summary>
[TestFixture]
public sealed class AirGappedTests
{
    private string _socketFolder = "";

    [SetUp]
    public void Create_the_socket_folder() =>
        _socketFolder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"ci-e2e-{Guid.NewGuid():N}")).FullName;

    [TearDown]
    public void Remove_the_socket_folder()
    {
        try
        {
            Directory.Delete(_socketFolder, recursive: true);
        }
        catch (IOException)
        {
            // The service's socket may belong to another user; a stray temp folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [Test]
    public async Task Preloaded_container_without_any_network_becomes_ready_and_runs_code_with_files()
    {
        var image = await PackagedImages.PreloadedAsync();
        await using var api = await ApiContainer.StartAsync(new ApiContainerSpec(image, "airgapped")
        {
            // The engine's data in memory (the README's faster variant): quicker load, instant removal.
            RunFlags = [.. await NestedEnginePrivileges.ForAsync(image), "--network", "none", "--tmpfs", "/var/lib/docker:exec"],
            Environment = new Dictionary<string, string> { ["SANDBOX_INSTANCE"] = $"e2e-airgapped-{Guid.NewGuid().ToString("N")[..8]}" },
            UnixSocketFolder = _socketFolder,
        });

        var timeToReady = await api.WaitUntilReadyAsync(TimeSpan.FromMinutes(5));
        await TestContext.Progress.WriteLineAsync($"[e2e] time-to-ready of the preloaded DinD container, --network none, --tmpfs /var/lib/docker: {timeToReady.TotalSeconds:0.0} s");

        (await api.ExecAsync("cat", "/proc/net/route")).Stdout.Split('\n').Skip(1)
            .Should().NotContain(line => line.Split('\t', StringSplitOptions.TrimEntries).ElementAtOrDefault(1) == "00000000",
                "the container has no default route: nothing outside this machine can be reached");
        await FileAndPlotScenario.RunAsync(api.Client);
        (await api.LogsAsync()).Should().Contain("Loading executor image").And.NotContain("Pulling executor image");
        (await api.StopAsync()).Should().Be(0);
    }
}
