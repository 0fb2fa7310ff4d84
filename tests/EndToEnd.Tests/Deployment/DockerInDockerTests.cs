using System.Diagnostics;
using System.Net;
using CodeInterpreter.EndToEnd.Tests.Client;
using CodeInterpreter.EndToEnd.Tests.Hosting;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.EndToEnd.Tests.Deployment;

/// <summary>
/// The one-container deployment: `docker run --privileged -p 8000:8000 code-interpreter:preloaded`.
/// The container starts its own engine, loads the executor image saved inside it and serves.
/// </summary>
[TestFixture]
public sealed class DockerInDockerTests
{
    [Test]
    public async Task Preloaded_container_loads_its_executor_image_runs_code_with_files_in_its_own_engine_and_stops_on_SIGTERM()
    {
        var image = await PackagedImages.PreloadedAsync();
        var instance = $"e2e-dind-{Guid.NewGuid().ToString("N")[..8]}";
        await using var api = await ApiContainer.StartNestedAsync(
            image, "dind", new Dictionary<string, string> { ["SANDBOX_INSTANCE"] = instance, ["POOL_SIZE"] = "2" });

        var refusedWhileLoading = 0;
        var timeToReady = await api.WaitUntilReadyAsync(ApiContainer.NestedReadyTimeout, async notReady =>
        {
            notReady.Headers.RetryAfter.Should().NotBeNull("a not-ready answer says when to come back");
            if (await ExecuteIsRefusedWhileNotReadyAsync(api.Client))
            {
                refusedWhileLoading++;
            }
        });
        await TestContext.Progress.WriteLineAsync($"[e2e] time-to-ready of the preloaded DinD container: {timeToReady.TotalSeconds:0.0} s");

        await FileAndPlotScenario.RunAsync(api.Client);

        refusedWhileLoading.Should().BePositive("executions are refused with 503 while the image is being loaded");
        var logs = await api.LogsAsync();
        logs.Should().Contain("Docker-in-Docker: starting dockerd").And.Contain("Loading executor image")
            .And.NotContain("Pulling executor image");
        (await RealEngine.EventuallyAsync(async () => await SandboxesInNestedEngineAsync(api, instance) > 0, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the warm pool lives in the container's own engine");
        (await RealEngine.CountSandboxesAsync(instance)).Should().Be(0, "nothing runs on the host's engine");

        var stopping = Stopwatch.StartNew();
        var exitCode = await api.StopAsync();

        exitCode.Should().Be(0, "SIGTERM reaches the service through tini and the entrypoint's exec");
        stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(30), "the service stops on SIGTERM, not on the SIGKILL after 30 s");
        (await api.LogsAsync()).Should().Contain("Sandbox pool drained");
    }

    [Test]
    public async Task Container_whose_engine_cannot_start_exits_non_zero_and_prints_the_engine_log()
    {
        var image = await PackagedImages.PreloadedAsync();

        // No privileges: the nested dockerd cannot set up its storage or network.
        var run = await HostCommand.DockerAsync(
            TimeSpan.FromMinutes(2), "run", "--rm", "--name", $"ci-e2e-dind-unprivileged-{Guid.NewGuid().ToString("N")[..8]}",
            "-e", "DOCKERD_START_TIMEOUT_SEC=20", image);

        run.ExitCode.Should().Be(1);
        run.Stderr.Should().Contain("dockerd's log").And.Contain("--privileged").And.NotContain("starting the service");
    }

    private static async Task<bool> ExecuteIsRefusedWhileNotReadyAsync(CodeInterpreterClient client)
    {
        try
        {
            await client.ExecuteAsync(new ExecuteRequest("print(1)", [], TimeoutMs: 5_000));
        }
        catch (ApiException refused) when (refused.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            refused.Headers.RetryAfter.Should().NotBeNull();
            return true;
        }
        catch (HttpRequestException)
        {
            return false;   // not listening yet
        }

        // It ran: only right if the service became ready in between.
        await client.ReadyAsync();
        return false;
    }

    private static async Task<int> SandboxesInNestedEngineAsync(ApiContainer api, string instance)
    {
        var listed = await api.ExecAsync("docker", "ps", "-q", "--filter", $"label=code-interpreter.instance={instance}");
        listed.Succeeded.Should().BeTrue(listed.ToString());
        return listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }
}
