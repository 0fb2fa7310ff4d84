using System.Globalization;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Metrics;

[TestFixture]
public sealed class MetricsEndpointTests
{
    /// <summary>The value of one sample line (<c>name{labels} value</c>) of a Prometheus text exposition.</summary>
    private static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        line.Should().NotBeNull($"the exposition has the series {series}");
        return double.Parse(line![(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
        return await response.Content.ReadAsStringAsync();
    }

    [Test]
    public async Task Metrics_count_executions_by_outcome_and_show_the_pool_and_slots()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["POOL_SIZE"] = "1", ["SANDBOX_PRELOAD"] = "" });
        using var client = await factory.CreateReadyClientAsync();

        (await client.PostExecuteAsync(new { code = "print(1)" })).Status.Should().Be(200);
        (await client.PostExecuteAsync(new { code = "import sys; sys.exit(3)" })).Status.Should().Be(200);
        (await client.PostExecuteAsync(new { code = "while True: pass", timeout_ms = 300 })).Status.Should().Be(200);
        (await client.PostExecuteAsync(new { code = 5 })).Status.Should().Be(422);
        var metrics = await ScrapeAsync(client);

        Sample(metrics, "codeinterpreter_executions_total{outcome=\"completed\"}").Should().Be(1);
        Sample(metrics, "codeinterpreter_executions_total{outcome=\"failed\"}").Should().Be(1);
        Sample(metrics, "codeinterpreter_executions_total{outcome=\"timed_out\"}").Should().Be(1);
        Sample(metrics, "codeinterpreter_executions_total{outcome=\"refused\"}").Should().Be(0, "an invalid request is not an execution");
        Sample(metrics, "codeinterpreter_execution_code_duration_seconds_count").Should().Be(3);
        Sample(metrics, "codeinterpreter_ready").Should().Be(1);
        Sample(metrics, "codeinterpreter_pool_size").Should().Be(1);
        Sample(metrics, "codeinterpreter_pool_waiting_requests").Should().Be(0);
        Sample(metrics, "codeinterpreter_executions_admitted").Should().Be(0, "nothing runs between requests");
        (Sample(metrics, "codeinterpreter_pool_leases_total{pool=\"default\",result=\"hit\"}")
                + Sample(metrics, "codeinterpreter_pool_leases_total{pool=\"default\",result=\"miss\"}"))
            .Should().Be(3, "each execution of the default shape either found a warm sandbox or started a cold one");
        (await RealEngine.EventuallyAsync(
                async () => Sample(await ScrapeAsync(client), "codeinterpreter_pool_sandboxes{state=\"ready\"}") == 1,
                TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the pool refills its one sandbox and the gauge follows");
    }

    [Test]
    public async Task A_service_that_is_not_ready_says_so_and_counts_refused_executions_as_unavailable()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
        });
        using var client = factory.CreateClient();

        (await client.PostExecuteAsync(new { code = "print(1)" })).Status.Should().Be(503);
        var metrics = await ScrapeAsync(client);

        Sample(metrics, "codeinterpreter_ready").Should().Be(0);
        Sample(metrics, "codeinterpreter_executions_total{outcome=\"unavailable\"}").Should().Be(1);
        Sample(metrics, "codeinterpreter_executions_total{outcome=\"completed\"}").Should().Be(0);
    }
}
