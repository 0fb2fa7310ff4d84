using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Api.Tests.Sessions;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary>
/// A server whose package source is a wheelhouse of test packages made here from source (no network anywhere):
/// environments are built once per set, listed, deleted and mounted by every kind of run.
/// </summary>
[NonParallelizable]
public sealed class WheelhouseEnvironmentsTests : RealEngineApiTests
{
    private static readonly Uri Environments = new("/v1/environments", UriKind.Relative);
    private readonly TestWheelhouse _wheelhouse = TestWheelhouse.Create();

    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["PACKAGE_WHEELHOUSE"] = _wheelhouse.Path,
    };

    [OneTimeTearDown]
    public async Task DeleteEnvironmentsAsync()
    {
        if (Client is not null)
        {
            foreach (var environment in (await ListAsync()).EnumerateArray())
            {
                // 409 until the last sandbox that mounted it is removed (off the responses' path).
                var uri = new Uri($"/v1/environments/{environment.GetProperty("hash").GetString()}", UriKind.Relative);
                await RealEngine.EventuallyAsync(async () =>
                {
                    using var response = await Client.DeleteAsync(uri);
                    return (int)response.StatusCode is 204 or 404;
                }, TimeSpan.FromSeconds(30));
            }
        }

        _wheelhouse.Dispose();
    }

    private async Task<JsonElement> ListAsync()
    {
        using var response = await Client.GetAsync(Environments);
        return (await response.ReadJsonAsync()).GetProperty("environments");
    }

    private async Task<JsonElement> EnvironmentOfAsync(string requirement) =>
        (await ListAsync()).EnumerateArray().Single(e => e.GetProperty("requirements").EnumerateArray().Single().GetString() == requirement);

    [Test]
    public async Task A_request_requiring_a_package_and_its_dependency_runs_and_the_same_set_again_builds_nothing()
    {
        var request = new { code = "import ci_alpha; print(ci_alpha.VALUE)", requirements = new[] { "ci-alpha>=1.0" }, timeout_ms = 20_000 };

        var (status, first) = await Client.PostExecuteAsync(request);
        var built = await EnvironmentOfAsync("ci-alpha>=1.0");
        var (_, second) = await Client.PostExecuteAsync(request with { requirements = new[] { "CI_Alpha >= 1.0" } });
        var after = await EnvironmentOfAsync("ci-alpha>=1.0");

        status.Should().Be(200, first.ToString());
        first.GetProperty("stdout").GetString().Should().Be("alpha+beta\n");
        second.GetProperty("stdout").GetString().Should().Be("alpha+beta\n");
        after.GetProperty("created_at").GetDouble().Should().Be(built.GetProperty("created_at").GetDouble(), "the same set is not built again");
        after.GetProperty("last_used_at").GetDouble().Should().BeGreaterThan(built.GetProperty("last_used_at").GetDouble());
        after.GetProperty("size_bytes").GetInt64().Should().BePositive();
        after.GetProperty("hash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Test]
    public async Task A_package_missing_from_the_wheelhouse_answers_422_with_pips_last_lines()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", requirements = new[] { "ci-nowhere" } });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("No matching distribution found for ci-nowhere");
    }

    [Test]
    public async Task A_source_only_package_is_refused_since_source_builds_are_not_allowed()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", requirements = new[] { "ci-gamma" } });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("ci-gamma");
    }

    [Test]
    public async Task Stream_executions_and_sessions_mount_the_environment_too()
    {
        var stream = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/execute/stream", UriKind.Relative))
        {
            Content = JsonContent.Create(new { code = "import ci_beta; print(ci_beta.VALUE)", requirements = new[] { "ci-beta" }, timeout_ms = 20_000 }),
        };
        using var streamed = await Client.SendAsync(stream);
        (await streamed.Content.ReadAsStringAsync()).Should().Contain("\"stdout\":\"beta\\n\"");

        using var submitted = await Client.PostAsJsonAsync(
            new Uri("/v1/executions", UriKind.Relative), new { code = "import ci_beta; print(ci_beta.VALUE)", requirements = new[] { "ci-beta" }, timeout_ms = 20_000 });
        var id = (await submitted.ReadJsonAsync()).GetProperty("execution_id").GetString();
        JsonElement job = default;
        (await RealEngine.EventuallyAsync(async () =>
        {
            using var polled = await Client.GetAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
            job = await polled.ReadJsonAsync();
            return job.GetProperty("status").GetString() is "completed" or "failed";
        }, TimeSpan.FromSeconds(60))).Should().BeTrue();
        job.GetProperty("result").GetProperty("stdout").GetString().Should().Be("beta\n", job.ToString());

        var session = await Client.OpenSessionAsync(new { requirements = "ci-beta\n" });
        var (status, executed) = await Client.SessionExecuteAsync(session, new { code = "import ci_beta; ci_beta.VALUE" });
        await Client.SessionDeleteAsync(session);
        status.Should().Be(200, executed.ToString());
        executed.GetProperty("stdout").GetString().Should().Be("'beta'\n");
    }

    [Test]
    public async Task An_environment_can_be_deleted_and_is_then_gone()
    {
        var (status, _) = await Client.PostExecuteAsync(new { code = "import ci_beta", requirements = new[] { "ci-beta==1.2.*" }, timeout_ms = 20_000 });
        status.Should().Be(200);
        var hash = (await EnvironmentOfAsync("ci-beta==1.2.*")).GetProperty("hash").GetString();

        // The run's sandbox is removed off the response's path: until it is gone the engine keeps the volume in use (409).
        var deleted = await RealEngine.EventuallyAsync(async () =>
        {
            using var response = await Client.DeleteAsync(new Uri($"/v1/environments/{hash}", UriKind.Relative));
            ((int)response.StatusCode).Should().BeOneOf(204, 409);
            return (int)response.StatusCode == 204;
        }, TimeSpan.FromSeconds(30));
        using var again = await Client.DeleteAsync(new Uri($"/v1/environments/{hash}", UriKind.Relative));

        deleted.Should().BeTrue("the environment is deleted once no sandbox uses it");
        ((int)again.StatusCode).Should().Be(404);
        (await ListAsync()).EnumerateArray().Select(e => e.GetProperty("hash").GetString()).Should().NotContain(hash);
    }

    [Test]
    public async Task The_facade_installs_explicit_requirements_and_detected_imports_from_the_source()
    {
        using var content = new StringContent("""{"code": "import ci_alpha\nprint(ci_alpha.VALUE)"}""", System.Text.Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(new Uri("/api/v1/eval", UriKind.Relative), content);
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("alpha+beta\n", body.ToString());
    }
}
