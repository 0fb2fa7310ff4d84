using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// Two real service processes (the built Api, each on its own loopback port, its own pool and sandbox
/// label) on one PostgreSQL database, as two replicas run: a file uploaded through one is downloaded
/// through the other; an execution submitted through one is polled and cancelled through the other;
/// and one killed (SIGKILL) while it runs an execution leaves it failed within the lease, while a
/// queued execution is run by the survivor and a session it held answers 410 Gone. What happens is
/// written to the test's output.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TwoReplicaProcessesTests
{
    private const int LeaseSeconds = 5;
    private const int ReplicaTimeoutSeconds = 6;

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["EXECUTION_LEASE_SEC"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAX_CONCURRENT_EXECUTIONS"] = "1",
        ["REPLICA_TIMEOUT_SEC"] = ReplicaTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private readonly List<ReplicaProcess> _replicas = [];
    private TestSchema _schema = null!;

    [OneTimeSetUp]
    public async Task StartTwoReplicasAsync()
    {
        await RealEngine.RequireAsync();
        _schema = await TestSchema.CreateAsync();
        _replicas.Add(ReplicaProcess.Start("a", _schema.ConnectionString, Settings));
        _replicas.Add(ReplicaProcess.Start("b", _schema.ConnectionString, Settings));
        foreach (var replica in _replicas)
        {
            await replica.WaitUntilReadyAsync();
            Log($"replica {replica.Name} ready at {replica.Url}");
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    private static void Log(string line) => TestContext.Progress.WriteLine($"[two-replicas] {line}");

    [Test, Order(1)]
    public async Task A_file_uploaded_through_one_replica_is_downloaded_through_the_other()
    {
        var (a, b) = (_replicas[0], _replicas[1]);
        var bytes = RandomNumberGenerator.GetBytes(1_000_003);

        var fileId = await a.Client.UploadFileAsync(bytes, "shared.bin");
        var downloaded = await b.Client.DownloadFileAsync(fileId);
        Log($"uploaded {bytes.Length} bytes through a as {fileId}; downloaded {downloaded.Length} bytes through b, identical: {downloaded.AsSpan().SequenceEqual(bytes)}");

        downloaded.Should().Equal(bytes);
    }

    [Test, Order(2)]
    public async Task An_execution_submitted_through_one_replica_is_polled_and_cancelled_through_the_other()
    {
        var (a, b) = (_replicas[0], _replicas[1]);

        var quick = await SubmitAsync(a, "print(6 * 7)");
        var done = await PollAsync(b, quick, s => s == "completed");
        Log($"submitted {quick} through a; polled through b: {done.GetProperty("status")} stdout={done.GetProperty("result").GetProperty("stdout")}");
        var slow = await SubmitAsync(a, "import time\ntime.sleep(60)");
        await PollAsync(b, slow, s => s == "running");
        using var cancelled = await b.Client.DeleteAsync(new Uri($"/v1/executions/{slow}", UriKind.Relative));
        var cancelledBody = await cancelled.ReadJsonAsync();
        Log($"submitted {slow} through a; cancelled through b: {(int)cancelled.StatusCode} {cancelledBody.GetProperty("status")} ({cancelledBody.GetProperty("error")})");

        done.GetProperty("result").GetProperty("stdout").GetString().Should().Be("42\n");
        ((int)cancelled.StatusCode).Should().Be(200);
        cancelledBody.GetProperty("status").GetString().Should().Be("cancelled");
    }

    [Test, Order(3)]
    public async Task Killing_a_replica_fails_its_running_execution_within_the_lease_the_survivor_runs_the_queued_one_and_its_session_is_gone()
    {
        // Each replica runs one execution at a time here: two long ones occupy both, a third waits queued.
        var first = await SubmitAsync(_replicas[0], "import time\ntime.sleep(120)");
        var second = await SubmitAsync(_replicas[0], "import time\ntime.sleep(120)");
        await PollAsync(_replicas[1], first, s => s == "running");
        await PollAsync(_replicas[1], second, s => s == "running");
        var queued = await SubmitAsync(_replicas[1], "print('run by the survivor')");
        (await StatusAsync(_replicas[1], queued)).Should().Be("queued", "both replicas are busy");
        var doomed = await HolderAsync(first);
        var survivor = _replicas.Single(r => r != doomed);
        var survivorsOwn = second;
        using var opened = await doomed.Client.PostAsJsonAsync(new Uri("/v1/sessions", UriKind.Relative), new { ttl_seconds = 600 });
        var session = (await opened.ReadJsonAsync()).GetProperty("session_id").GetString()!;
        Log($"{first} runs on replica {doomed.Name}, {second} on replica {survivor.Name}, {queued} is queued, session {session} is open on replica {doomed.Name}; killing replica {doomed.Name} (SIGKILL)");

        var clock = Stopwatch.StartNew();
        doomed.Kill();
        var failed = await PollAsync(survivor, first, s => s != "running", TimeSpan.FromSeconds(LeaseSeconds + 30));
        var failedAfter = clock.Elapsed;
        Log($"{first} through replica {survivor.Name} after {failedAfter.TotalSeconds:0.0} s: {failed.GetProperty("status")}: {failed.GetProperty("error")}");
        using (await survivor.Client.DeleteAsync(new Uri($"/v1/executions/{survivorsOwn}", UriKind.Relative)))
        {
            // Frees the survivor's one slot for the queued execution.
        }

        var ran = await PollAsync(survivor, queued, s => s is "completed" or "failed");
        Log($"{queued} through replica {survivor.Name}: {ran.GetProperty("status")} stdout={ran.GetProperty("result").GetProperty("stdout")}");
        (int Status, JsonElement Body) call = default;
        var gone = await RealEngine.EventuallyAsync(async () =>
        {
            using var response = await survivor.Client.PostAsJsonAsync(new Uri($"/v1/sessions/{session}/execute", UriKind.Relative), new { code = "1" });
            call = ((int)response.StatusCode, await response.ReadJsonAsync());
            return call.Status == 410;
        }, TimeSpan.FromSeconds(ReplicaTimeoutSeconds + 30));
        Log($"session {session} through replica {survivor.Name} after {clock.Elapsed.TotalSeconds:0.0} s: {call.Status} {call.Body.GetProperty("detail")}");

        failed.GetProperty("status").GetString().Should().Be("failed");
        failed.GetProperty("error").GetString().Should().Contain("the replica running this execution stopped").And.Contain("not run again");
        failedAfter.Should().BeLessThan(TimeSpan.FromSeconds(LeaseSeconds + 20), "the lease is EXECUTION_LEASE_SEC=5 and the survivor checks leases every half second");
        ran.GetProperty("status").GetString().Should().Be("completed");
        ran.GetProperty("result").GetProperty("stdout").GetString().Should().Be("run by the survivor\n");
        ((int)opened.StatusCode).Should().Be(201);
        gone.Should().BeTrue($"a session of a replica gone for REPLICA_TIMEOUT_SEC answers 410; last: {call.Status} {call.Body}");
        call.Body.GetProperty("detail").GetString().Should().Contain("is lost: the replica that held its sandbox");
    }

    private static async Task<string> SubmitAsync(ReplicaProcess replica, string code)
    {
        using var response = await replica.Client.PostAsJsonAsync(new Uri("/v1/executions", UriKind.Relative), new { code, timeout_ms = 60_000 });
        ((int)response.StatusCode).Should().Be(202);
        return (await response.ReadJsonAsync()).GetProperty("execution_id").GetString()!;
    }

    private static async Task<string> StatusAsync(ReplicaProcess replica, string id)
    {
        using var response = await replica.Client.GetAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
        return (await response.ReadJsonAsync()).GetProperty("status").GetString()!;
    }

    /// <summary>The replica whose worker holds the execution (by the REPLICA_URL it registered).</summary>
    private async Task<ReplicaProcess> HolderAsync(string executionId)
    {
        var url = await _schema.ScalarAsync(
            $"SELECT r.internal_url FROM executions e JOIN replicas r ON r.replica_id = e.claimed_by WHERE e.execution_id = '{executionId}'");
        return _replicas.Single(r => r.Url == (string)url!);
    }

    private static async Task<JsonElement> PollAsync(ReplicaProcess replica, string id, Func<string, bool> done, TimeSpan? within = null)
    {
        JsonElement last = default;
        var reached = await RealEngine.EventuallyAsync(async () =>
        {
            using var response = await replica.Client.GetAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
            last = await response.ReadJsonAsync();
            return response.IsSuccessStatusCode && done(last.GetProperty("status").GetString()!);
        }, within ?? TimeSpan.FromSeconds(60));
        reached.Should().BeTrue($"execution {id} should reach the expected status through replica {replica.Name}; last: {last}");
        return last;
    }
}
