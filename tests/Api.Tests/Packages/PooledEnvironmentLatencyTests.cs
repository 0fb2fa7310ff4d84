using System.Diagnostics;
using System.Globalization;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary>
/// A measurement, run by hand (it is explicit; README, "Packages"): the p50 of 20 sequential requests for a set of
/// POOL_ENVIRONMENTS (each served by a warm sandbox, the pool refilled before the next) against 20 for the same
/// packages in a set that is not pooled (a cold sandbox with the built environment mounted), on one service.
/// </summary>
[Explicit("a measurement: dotnet test --filter FullyQualifiedName~PooledEnvironmentLatencyTests")]
[NonParallelizable]
public sealed class PooledEnvironmentLatencyTests
{
    private const int Requests = 20;
    private const string Code = "import ci_alpha; print(ci_alpha.VALUE)";

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        return await response.Content.ReadAsStringAsync();
    }

    private static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static async Task<bool> PoolRefilledAsync(HttpClient client) => await RealEngine.EventuallyAsync(
        async () => Sample(await ScrapeAsync(client), "codeinterpreter_environment_pool_sandboxes{requirements=\"ci-alpha\",state=\"ready\"}") == 1,
        TimeSpan.FromSeconds(180));

    /// <summary>Latencies of <see cref="Requests"/> requests for <paramref name="requirement"/>, the pooled set's pool refilled (and idle) before each.</summary>
    private static async Task<List<double>> MeasureAsync(HttpClient client, string requirement)
    {
        var latencies = new List<double>();
        for (var i = 0; i < Requests; i++)
        {
            (await PoolRefilledAsync(client)).Should().BeTrue();
            var started = Stopwatch.GetTimestamp();
            var (status, body) = await client.PostExecuteAsync(new { code = Code, requirements = new[] { requirement } });
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            status.Should().Be(200, body.ToString());
            body.GetProperty("stdout").GetString().Should().Be("alpha+beta\n");
        }

        return latencies;
    }

    private static double P50(List<double> values) => values.Order().ElementAt(values.Count / 2);

    [Test]
    public async Task Pooled_set_against_the_cold_path_p50_of_20_sequential_requests()
    {
        await RealEngine.RequireAsync();
        using var wheelhouse = TestWheelhouse.Create();
        var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["PACKAGE_WHEELHOUSE"] = wheelhouse.Path,
            ["POOL_ENVIRONMENTS"] = """[["ci-alpha"]]""",
        });
        try
        {
            using var client = await factory.CreateReadyClientAsync();
            // Both environments built (the cold one by a first request, not measured).
            (await PoolRefilledAsync(client)).Should().BeTrue();
            (await client.PostExecuteAsync(new { code = Code, requirements = new[] { "ci-alpha>=1.0" } })).Status.Should().Be(200);

            var cold = await MeasureAsync(client, "ci-alpha>=1.0");
            var pooled = await MeasureAsync(client, "ci-alpha");
            var hits = Sample(await ScrapeAsync(client), "codeinterpreter_pool_leases_total{pool=\"ci-alpha\",result=\"hit\"}");

            await TestContext.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"pooled set: p50 {P50(pooled):F1} ms (min {pooled.Min():F1}, max {pooled.Max():F1}); cold path with the environment: p50 {P50(cold):F1} ms (min {cold.Min():F1}, max {cold.Max():F1}); pool hits {hits}"));
            hits.Should().Be(Requests, "every request for the pooled set was served warm");
        }
        finally
        {
            await factory.DisposeAsync();
            using var engine = RealEngine.CreateClient();
            var volumes = await engine.Volumes.ListAsync(new VolumesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={factory.Instance}"] = true },
                },
            });
            foreach (var volume in volumes.Volumes ?? [])
            {
                await engine.Volumes.RemoveAsync(volume.Name, force: true);
            }
        }
    }
}
