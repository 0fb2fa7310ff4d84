using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary>
/// POOL_ENVIRONMENTS on the real engine, its package source a wheelhouse of test packages made here: the pooled set's
/// environment is built at start-up and pinned, its requests take warm sandboxes (counted in /metrics) that are
/// refilled, other sets go the cold way, and the pinned environment outlives a cache that is over its size.
/// </summary>
[NonParallelizable]
public sealed class PooledEnvironmentsTests : RealEngineApiTests
{
    private const string Pooled = "ci-alpha";
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromSeconds(180);
    private readonly TestWheelhouse _wheelhouse = TestWheelhouse.Create();

    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["PACKAGE_WHEELHOUSE"] = _wheelhouse.Path,
        ["POOL_ENVIRONMENTS"] = """[["ci-alpha"], ["ci-nowhere"]]""",
        ["POOL_ENVIRONMENT_SIZE"] = "1",
        // Any other environment puts the cache over its size: only the pinned one may outlive that.
        ["ENV_CACHE_MB"] = "0",
        ["SANDBOX_PRELOAD"] = "",
    };

    [OneTimeTearDown]
    public async Task DeleteEnvironmentsAsync()
    {
        // A pinned environment cannot be deleted through the API: the service is stopped first (the base class's
        // stop then finds it stopped), and its volumes are removed from the engine.
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
            await RemoveVolumesAsync(Factory.Instance);
        }

        _wheelhouse.Dispose();
    }

    private static async Task RemoveVolumesAsync(string instance)
    {
        using var engine = RealEngine.CreateClient();
        var instanceLabel = new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={instance}"] = true },
        };

        // A sandbox whose removal outlived the service's stop (a busy engine) still holds its environment's volume.
        foreach (var container in await engine.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = instanceLabel }))
        {
            try
            {
                await engine.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
            }
            catch (Docker.DotNet.DockerContainerNotFoundException)
            {
                // Its removal ended meanwhile.
            }
        }

        var volumes = await engine.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={instance}"] = true },
            },
        });
        foreach (var volume in volumes.Volumes ?? [])
        {
            await engine.Volumes.RemoveAsync(volume.Name, force: true);
        }
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        return await response.Content.ReadAsStringAsync();
    }

    private static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private async Task<double> LeasesAsync(string result) =>
        Sample(await ScrapeAsync(), $"codeinterpreter_pool_leases_total{{pool=\"{Pooled}\",result=\"{result}\"}}");

    private async Task WaitForWarmSandboxAsync() =>
        (await RealEngine.EventuallyAsync(
                async () => Sample(await ScrapeAsync(), $"codeinterpreter_environment_pool_sandboxes{{requirements=\"{Pooled}\",state=\"ready\"}}") == 1,
                BuildDeadline))
            .Should().BeTrue("the pooled set's environment is built at start-up and a warm sandbox parked with it");

    private async Task<JsonElement[]> EnvironmentsAsync()
    {
        using var response = await Client.GetAsync(new Uri("/v1/environments", UriKind.Relative));
        return [.. (await response.ReadJsonAsync()).GetProperty("environments").EnumerateArray()];
    }

    private static bool Requires(JsonElement environment, string requirement) =>
        environment.GetProperty("requirements").EnumerateArray().Single().GetString() == requirement;

    [Test]
    public async Task Requests_for_the_pooled_set_take_warm_sandboxes_and_the_pool_refills()
    {
        await WaitForWarmSandboxAsync();
        var hits = await LeasesAsync("hit");

        var (status, first) = await Client.PostExecuteAsync(new { code = "import ci_alpha; print(ci_alpha.VALUE)", requirements = new[] { "ci-alpha" } });
        var afterFirst = await LeasesAsync("hit");
        await WaitForWarmSandboxAsync();
        // Another spelling of the same set is the same set.
        var (_, second) = await Client.PostExecuteAsync(new { code = "import ci_alpha; print(ci_alpha.VALUE)", requirements = new[] { "CI_Alpha" } });
        var afterSecond = await LeasesAsync("hit");

        status.Should().Be(200, first.ToString());
        first.GetProperty("stdout").GetString().Should().Be("alpha+beta\n", first.ToString());
        second.GetProperty("stdout").GetString().Should().Be("alpha+beta\n", second.ToString());
        afterFirst.Should().Be(hits + 1, "the request was served by the pooled set's warm sandbox");
        afterSecond.Should().Be(hits + 2, "the pool refilled and served the next request warm too");
    }

    [Test]
    public async Task Another_set_runs_cold_and_the_pinned_environment_outlives_a_cache_over_its_size()
    {
        await WaitForWarmSandboxAsync();
        var pinned = (await EnvironmentsAsync()).Single(e => Requires(e, Pooled));
        var leases = await LeasesAsync("hit") + await LeasesAsync("miss");

        var (status, body) = await Client.PostExecuteAsync(new { code = "import ci_beta; print(ci_beta.VALUE)", requirements = new[] { "ci-beta" } });
        var (againStatus, _) = await Client.PostExecuteAsync(new { code = "import ci_beta", requirements = new[] { "ci-beta==1.2.*" } });
        var after = await EnvironmentsAsync();
        using var delete = await Client.DeleteAsync(new Uri($"/v1/environments/{pinned.GetProperty("hash").GetString()}", UriKind.Relative));

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("beta\n");
        againStatus.Should().Be(200);
        (await LeasesAsync("hit") + await LeasesAsync("miss")).Should().Be(leases, "requests for other sets never touch the pooled set's pool");
        var kept = after.Should().ContainSingle(e => Requires(e, Pooled), "ENV_CACHE_MB=0 evicts what it can, but not a pinned environment").Subject;
        kept.GetProperty("created_at").GetDouble().Should().Be(pinned.GetProperty("created_at").GetDouble(), "it was not built again");
        kept.GetProperty("in_use").GetBoolean().Should().BeTrue("a pinned environment counts as in use");
        ((int)delete.StatusCode).Should().Be(409, "a pinned environment cannot be deleted while it is configured");
    }

    [Test]
    public async Task A_set_that_fails_to_build_is_retried_while_the_service_serves_and_its_requests_answer_as_before()
    {
        var status = Factory.Services.GetRequiredService<ISandboxPoolStatus>();

        var failed = await RealEngine.EventuallyAsync(
            () => Task.FromResult(status.EnvironmentPools().Single(p => p.Requirements == "ci-nowhere").Failures >= 1), BuildDeadline);
        var (code, body) = await Client.PostExecuteAsync(new { code = "print(1)", requirements = new[] { "ci-nowhere" } });
        var (plain, _) = await Client.PostExecuteAsync(new { code = "print(1)" });

        failed.Should().BeTrue("the set's build fails at start-up (no such package in the wheelhouse)");
        var pool = status.EnvironmentPools().Single(p => p.Requirements == "ci-nowhere");
        pool.State.Should().Be("pending", "a failed set is retried, not given up");
        pool.Hash.Should().BeNull();
        code.Should().Be(422, "its requests build, and fail, the cold way");
        body.GetProperty("detail").GetString().Should().Contain("No matching distribution found for ci-nowhere");
        plain.Should().Be(200);
    }

    [Test]
    public async Task A_restarted_service_pins_the_environment_its_earlier_process_built_without_building_it_again()
    {
        var instance = $"api-tests-{Guid.NewGuid():N}"[..22];
        var settings = new Dictionary<string, string?>
        {
            ["PACKAGE_WHEELHOUSE"] = _wheelhouse.Path,
            ["POOL_ENVIRONMENTS"] = """[["ci-beta"]]""",
            ["SANDBOX_PRELOAD"] = "",
            ["SANDBOX_INSTANCE"] = instance,
        };
        double[] created = new double[2];
        string?[] hashes = new string?[2];
        try
        {
            for (var run = 0; run < 2; run++)
            {
                await using var factory = new ApiFactory(settings);
                using var client = await factory.CreateReadyClientAsync();
                var status = factory.Services.GetRequiredService<ISandboxPoolStatus>();
                (await RealEngine.EventuallyAsync(() => Task.FromResult(status.EnvironmentPools().Single().Ready == 1), BuildDeadline))
                    .Should().BeTrue($"run {run + 1}: the set is pinned and a warm sandbox parked");
                hashes[run] = status.EnvironmentPools().Single().Hash;
                using var response = await client.GetAsync(new Uri("/v1/environments", UriKind.Relative));
                created[run] = (await response.ReadJsonAsync()).GetProperty("environments").EnumerateArray()
                    .Single(e => e.GetProperty("hash").GetString() == hashes[run]).GetProperty("created_at").GetDouble();
            }
        }
        finally
        {
            await RemoveVolumesAsync(instance);
        }

        hashes[1].Should().Be(hashes[0]);
        // Taken back, an environment dates from its volume's creation (whole seconds, before its build ended);
        // built again, it would date from after the restart.
        created[1].Should().BeLessThanOrEqualTo(created[0], "the restarted service took the volume back instead of building it again");
    }

    [Test]
    public async Task Without_a_package_source_a_set_the_image_lacks_is_skipped_and_one_it_satisfies_needs_no_pool()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["POOL_ENVIRONMENTS"] = """[["ci-alpha"], ["NumPy"]]""",
            ["SANDBOX_PRELOAD"] = "",
        });
        using var client = await factory.CreateReadyClientAsync();
        var status = factory.Services.GetRequiredService<ISandboxPoolStatus>();

        var settled = await RealEngine.EventuallyAsync(
            () => Task.FromResult(status.EnvironmentPools().All(p => p.State != "pending")), TimeSpan.FromSeconds(60));
        var (code, body) = await client.PostExecuteAsync(new { code = "print(1)", requirements = new[] { "ci-alpha" } });

        settled.Should().BeTrue();
        status.EnvironmentPools().Select(p => (p.Requirements, p.State)).Should().Equal(("ci-alpha", "unavailable"), ("numpy", "image"));
        code.Should().Be(422, "requests for a skipped set are answered as before");
        body.GetProperty("detail").GetString().Should().Contain("ci-alpha");
    }
}
