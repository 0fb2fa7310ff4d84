using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// Two services with DATABASE_URL set on one database (two hosts in this process, each its own worker,
/// pool and sandboxes): background executions submitted through one are seen, run and cancelled through
/// the other; leases of a dead replica end its executions; sessions are registered with their replica,
/// and a session whose replica died answers 410.
/// </summary>
[TestFixture]
public sealed class TwoServicesOnOneDatabaseTests
{
    private static readonly Uri Executions = new("/v1/executions", UriKind.Relative);

    private TwoServicesOnOneSchema _services = null!;
    private HttpClient _one = null!;
    private HttpClient _other = null!;

    [OneTimeSetUp]
    public async Task StartTwoServicesAsync()
    {
        await RealEngine.RequireAsync();
        _services = await TwoServicesOnOneSchema.CreateAsync();
        _one = await _services.First.CreateReadyClientAsync();
        _other = await _services.Second.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _one?.Dispose();
        _other?.Dispose();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Test]
    public async Task An_execution_submitted_through_one_service_is_polled_to_its_result_through_the_other()
    {
        using var submitted = await _one.PostAsJsonAsync(Executions, new { code = "print(6 * 7)" });
        var id = (await submitted.ReadJsonAsync()).GetProperty("execution_id").GetString()!;

        var done = await PollAsync(_other, id, s => s == "completed");

        ((int)submitted.StatusCode).Should().Be(202);
        done.GetProperty("result").GetProperty("stdout").GetString().Should().Be("42\n");
    }

    [Test]
    public async Task A_result_kept_in_the_database_keeps_its_usage_and_outputs()
    {
        using var submitted = await _one.PostAsJsonAsync(Executions, new { code = "display({'a': 1})" });
        var id = (await submitted.ReadJsonAsync()).GetProperty("execution_id").GetString()!;

        var result = (await PollAsync(_other, id, s => s == "completed")).GetProperty("result");

        result.GetProperty("outputs")[0].GetProperty("data").GetProperty("text/plain").GetString().Should().Be("{'a': 1}");
        result.GetProperty("usage").GetProperty("wall_ms").GetInt64().Should().BeGreaterThanOrEqualTo(0);
        result.GetProperty("usage").GetProperty("cpu_ms").ValueKind.Should().Be(JsonValueKind.Number);
    }

    [Test]
    public async Task An_execution_running_on_either_service_is_cancelled_through_the_other()
    {
        using var submitted = await _one.PostAsJsonAsync(Executions, new { code = "import time\ntime.sleep(60)", timeout_ms = 60_000 });
        var id = (await submitted.ReadJsonAsync()).GetProperty("execution_id").GetString()!;
        await PollAsync(_other, id, s => s == "running");

        var clock = Stopwatch.StartNew();
        using var cancelled = await _other.DeleteAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
        var body = await cancelled.ReadJsonAsync();
        clock.Stop();
        var seenByFirst = await PollAsync(_one, id, s => s != "running");

        ((int)cancelled.StatusCode).Should().Be(200);
        body.GetProperty("status").GetString().Should().Be("cancelled");
        body.GetProperty("error").GetString().Should().Be("cancelled by the client");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the replica running it sees the cancel at its next heartbeat (every second)");
        seenByFirst.GetProperty("status").GetString().Should().Be("cancelled");
    }

    [Test]
    public async Task A_running_execution_of_a_replica_that_stopped_heart_beating_ends_failed_and_is_not_run_again()
    {
        var id = $"exec-{Guid.NewGuid():N}";
        await _services.Schema.ScalarAsync(
            "INSERT INTO executions (execution_id, created_at, timeout_ms, status, command, started_at, claimed_by, lease_expires_at) "
            + $"VALUES ('{id}', now(), 5000, 'running', '{{\"code\": \"print(1)\", \"timeoutMs\": 5000, \"files\": []}}', now(), 'a-dead-replica', now() - interval '1 second')");

        var ended = await PollAsync(_other, id, s => s != "running");

        ended.GetProperty("status").GetString().Should().Be("failed");
        ended.GetProperty("error").GetString().Should().Contain("the replica running this execution stopped").And.Contain("not run again");
        ended.TryGetProperty("result", out var result).Should().BeTrue();
        result.ValueKind.Should().Be(JsonValueKind.Null, "it was never run here");
    }

    [Test]
    public async Task A_queued_execution_claimed_by_a_replica_that_stopped_before_running_it_is_run_by_a_survivor()
    {
        var id = $"exec-{Guid.NewGuid():N}";
        await _services.Schema.ScalarAsync(
            "INSERT INTO executions (execution_id, created_at, timeout_ms, status, command, claimed_by, lease_expires_at) "
            + $"VALUES ('{id}', now(), 5000, 'queued', '{{\"code\": \"print(5 * 5)\", \"timeoutMs\": 5000, \"files\": []}}', 'a-dead-replica', now() - interval '1 second')");

        var done = await PollAsync(_one, id, s => s is "completed" or "failed");

        done.GetProperty("status").GetString().Should().Be("completed");
        done.GetProperty("result").GetProperty("stdout").GetString().Should().Be("25\n");
    }

    [Test]
    public async Task A_session_is_registered_with_its_replica_and_container_until_it_is_deleted()
    {
        using var opened = await _one.PostAsJsonAsync(new Uri("/v1/sessions", UriKind.Relative), new { ttl_seconds = 120 });
        var id = (await opened.ReadJsonAsync()).GetProperty("session_id").GetString()!;

        var container = await _services.Schema.ScalarAsync($"SELECT container_id FROM sessions WHERE session_id = '{id}'");
        var replicaSeen = await _services.Schema.ScalarAsync(
            $"SELECT count(*) FROM sessions s JOIN replicas r USING (replica_id) WHERE s.session_id = '{id}' AND s.lost_at IS NULL");
        using var deleted = await _one.DeleteAsync(new Uri($"/v1/sessions/{id}", UriKind.Relative));
        var afterDelete = await _services.Schema.ScalarAsync($"SELECT count(*) FROM sessions WHERE session_id = '{id}'");

        ((int)opened.StatusCode).Should().Be(201);
        container.Should().BeOfType<string>().Which.Should().MatchRegex("^[0-9a-f]{64}$");
        replicaSeen.Should().Be(1L, "the replica holding it heart-beats in the registry");
        ((int)deleted.StatusCode).Should().Be(204);
        afterDelete.Should().Be(0L);
    }

    [Test]
    public async Task A_call_into_a_session_whose_replica_died_answers_410_problem_details_at_once()
    {
        var id = $"code-session-{Guid.NewGuid():N}";
        await _services.Schema.ScalarAsync(
            "INSERT INTO sessions (session_id, replica_id, container_id, expires_at, lost_at) "
            + $"VALUES ('{id}', 'a-dead-replica', 'c0ffee', now() + interval '10 minutes', now())");

        using var response = await _other.PostAsJsonAsync(new Uri($"/v1/sessions/{id}/execute", UriKind.Relative), new { code = "1" });
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(410);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        body.GetProperty("detail").GetString().Should().StartWith($"Session '{id}' is lost: the replica that held its sandbox (a-dead-replica) stopped");
    }

    private static async Task<JsonElement> PollAsync(HttpClient client, string id, Func<string, bool> done)
    {
        JsonElement last = default;
        var reached = await RealEngine.EventuallyAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
            last = await response.ReadJsonAsync();
            return response.IsSuccessStatusCode && done(last.GetProperty("status").GetString()!);
        }, TimeSpan.FromSeconds(60));
        reached.Should().BeTrue($"execution {id} should reach the expected status; last: {last}");
        return last;
    }
}
