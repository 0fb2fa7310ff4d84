using CodeInterpreter.EndToEnd.Tests.Client;
using CodeInterpreter.EndToEnd.Tests.Hosting;

namespace CodeInterpreter.EndToEnd.Tests.Deployment;

/// <summary>
/// The one-container deployment with gVisor: `docker run ... -e EXECUTOR_RUNTIME=runsc code-interpreter:preloaded`.
/// The entrypoint registers the image's runsc with the nested engine before starting it, and refuses to
/// start, saying why, where gVisor cannot work.
/// </summary>
[TestFixture]
public sealed class GVisorInDockerTests
{
    [Test]
    public async Task Preloaded_container_with_EXECUTOR_RUNTIME_runsc_runs_print_hi_in_a_gVisor_sandbox_of_its_own_engine()
    {
        var image = await PackagedImages.PreloadedAsync();
        var instance = $"e2e-gvisor-{Guid.NewGuid().ToString("N")[..8]}";
        await using var api = await ApiContainer.StartNestedAsync(
            image, "gvisor", new Dictionary<string, string> { ["SANDBOX_INSTANCE"] = instance, ["POOL_SIZE"] = "1", ["EXECUTOR_RUNTIME"] = "runsc" });
        await api.WaitUntilReadyAsync(ApiContainer.NestedReadyTimeout);

        var result = await api.Client.ExecuteAsync(new ExecuteRequest("print('hi')", [], TimeoutMs: 30_000));
        var runtimes = await api.ExecAsync(
            "sh", "-c", $"docker ps -aq --filter label=code-interpreter.instance={instance} | xargs -r docker inspect -f '{{{{.HostConfig.Runtime}}}}'");

        result.Stdout.Should().Be("hi\n", await api.LogsAsync());
        result.ExitCode.Should().Be(0);
        (await api.LogsAsync()).Should().Contain("registered gVisor");
        runtimes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().NotBeEmpty()
            .And.OnlyContain(runtime => runtime == "runsc", "every sandbox of the nested engine runs under gVisor");
    }

    [Test]
    public async Task Container_that_cannot_run_gVisor_exits_1_saying_why_before_the_service_starts()
    {
        var image = await PackagedImages.PreloadedAsync();

        // No privileges: runsc's ptrace platform cannot create its sandbox's namespaces here.
        var run = await HostCommand.DockerAsync(
            TimeSpan.FromMinutes(2), "run", "--rm", "--name", $"ci-e2e-gvisor-unprivileged-{Guid.NewGuid().ToString("N")[..8]}",
            "--network", "none", "-e", "EXECUTOR_RUNTIME=runsc", image);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Stderr.Should().Contain("EXECUTOR_RUNTIME=runsc, but gVisor (runsc --platform=ptrace) cannot start a sandbox in this container")
            .And.NotContain("starting the service");
    }

    [Test]
    public async Task Container_whose_engine_configuration_lacks_runsc_exits_1_naming_the_file_and_what_to_add()
    {
        var image = await PackagedImages.PreloadedAsync();
        var config = Path.Combine(Path.GetTempPath(), $"ci-e2e-daemon-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{"log-level": "warn"}""");
        try
        {
            var run = await HostCommand.DockerAsync(
                TimeSpan.FromMinutes(2), "run", "--rm", "--name", $"ci-e2e-gvisor-config-{Guid.NewGuid().ToString("N")[..8]}",
                "--network", "none", "-e", "EXECUTOR_RUNTIME=runsc", "-v", $"{config}:/etc/docker/daemon.json:ro", image);

            run.ExitCode.Should().Be(1, run.ToString());
            run.Stderr.Should().Contain("/etc/docker/daemon.json already exists without a runsc runtime")
                .And.Contain("--platform=ptrace").And.NotContain("starting the service");
        }
        finally
        {
            File.Delete(config);
        }
    }
}
