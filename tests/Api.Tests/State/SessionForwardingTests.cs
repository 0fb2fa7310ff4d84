using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// Two real service processes on one PostgreSQL database, as two replicas behind a load balancer: a
/// session opened on one is used, interrupted and deleted through the other (the call forwarded to its
/// owner, the API key checked there); a call already forwarded is never forwarded again; and when the
/// owner is killed (SIGKILL) its session answers 410 through the survivor within a second, the call in
/// flight included, while the survivor keeps serving. What happens is written to the test's output.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SessionForwardingTests
{
    private const string Key = "forwarding-test-key-0123456789";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["API_KEYS"] = Key,
        ["REPLICA_TIMEOUT_SEC"] = "60",
    };

    private readonly List<ReplicaProcess> _replicas = [];
    private TestSchema _schema = null!;

    private ReplicaProcess A => _replicas[0];

    private ReplicaProcess B => _replicas[1];

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
            replica.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
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

    private static void Log(string line) => TestContext.Progress.WriteLine($"[forwarding] {line}");

    [Test, Order(1)]
    public async Task A_session_opened_through_one_replica_is_used_and_deleted_through_the_other()
    {
        var session = await OpenAsync(A);

        using var define = await ExecuteAsync(B, session, "x = 41");
        using var use = await ExecuteAsync(B, session, "print(x + 1)");
        var used = await use.ReadJsonAsync();
        using var shell = await B.Client.PostAsJsonAsync(new Uri($"/v1/sessions/{session}/bash", UriKind.Relative), new { cmd = "echo from $(pwd)" });
        var shellBody = await shell.ReadJsonAsync();
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/sessions/{session}/execute", UriKind.Relative))
        {
            Content = JsonContent.Create(new { code = "1" }),
        };
        using var noKey = await new HttpClient { BaseAddress = new Uri(B.Url) }.SendAsync(anonymous);
        using var deleted = await B.Client.DeleteAsync(new Uri($"/v1/sessions/{session}", UriKind.Relative));
        using var afterwards = await ExecuteAsync(A, session, "print(x)");
        Log($"session {session} opened through a; through b: {(int)use.StatusCode} stdout={used.GetProperty("stdout")} "
            + $"X-Replica={Header(use, "X-Replica")} X-Forwarded-By-Replica={Header(use, "X-Forwarded-By-Replica")}; "
            + $"bash {(int)shell.StatusCode} {shellBody.GetProperty("stdout")}; without a key {(int)noKey.StatusCode}; "
            + $"deleted through b {(int)deleted.StatusCode}; then through a {(int)afterwards.StatusCode}");

        ((int)define.StatusCode).Should().Be(200);
        ((int)use.StatusCode).Should().Be(200);
        used.GetProperty("stdout").GetString().Should().Be("42\n", "the interpreter state lives on the owner, a");
        Header(use, "X-Replica").Should().Be("replica-a", "the owner answered");
        Header(use, "X-Forwarded-By-Replica").Should().Be("replica-b");
        ((int)shell.StatusCode).Should().Be(200);
        shellBody.GetProperty("stdout").GetString().Should().Be("from /workspace\n");
        ((int)noKey.StatusCode).Should().Be(401);
        ((int)deleted.StatusCode).Should().Be(204);
        ((int)afterwards.StatusCode).Should().Be(404);
    }

    [Test, Order(2)]
    public async Task A_call_already_forwarded_is_served_where_it_lands_and_never_forwarded_again()
    {
        var session = await OpenAsync(A);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/sessions/{session}/execute", UriKind.Relative))
        {
            Content = JsonContent.Create(new { code = "print(1)" }),
        };
        request.Headers.Add("X-Forwarded-By-Replica", "replica-a");

        using var response = await B.Client.SendAsync(request);
        Log($"a call for {session} (on a) reaching b with the hop header: {(int)response.StatusCode} X-Replica={Header(response, "X-Replica")}");

        ((int)response.StatusCode).Should().Be(404, "b does not hold the session and must not forward a forwarded call");
        Header(response, "X-Replica").Should().Be("replica-b");
    }

    [Test, Order(3)]
    public async Task A_streamed_call_through_the_other_replica_arrives_event_by_event_from_the_owner()
    {
        var session = await OpenAsync(A);
        using (await ExecuteAsync(B, session, "x = 41"))
        {
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/sessions/{session}/execute/stream", UriKind.Relative))
        {
            Content = JsonContent.Create(new { code = "import time\nprint(x + 1, flush=True)\ntime.sleep(1)\nprint('done')", timeout_ms = 20_000 }),
        };
        using var response = await B.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await ServerSentEventReader.ReadAllAsync(response);
        var first = events.First(e => e.Name == "output");
        var gap = events[^1].ArrivedAfter - first.ArrivedAfter;
        Log($"a streamed call into {session} (on a) through b: {(int)response.StatusCode} {response.Content.Headers.ContentType} "
            + $"X-Replica={Header(response, "X-Replica")} X-Forwarded-By-Replica={Header(response, "X-Forwarded-By-Replica")}; "
            + $"events {string.Join(",", events.Select(e => e.Name))}; first output {gap.TotalMilliseconds:0} ms before the result");

        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        Header(response, "X-Replica").Should().Be("replica-a", "the owner ran the call");
        Header(response, "X-Forwarded-By-Replica").Should().Be("replica-b");
        first.Data.GetProperty("data").GetString().Should().Be("42\n");
        events[^1].Name.Should().Be("result");
        events[^1].Data.GetProperty("stdout").GetString().Should().Be("42\ndone\n");
        gap.Should().BeGreaterThan(TimeSpan.FromMilliseconds(800), "the forwarder relays each event as it comes, never the stream buffered whole");
    }

    [Test, Order(3)]
    public async Task A_client_that_gives_up_on_a_forwarded_call_interrupts_it_on_the_owner()
    {
        var session = await OpenAsync(A);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var abandoned = () => B.Client.PostAsJsonAsync(
            new Uri($"/v1/sessions/{session}/execute", UriKind.Relative), new { code = "import time\ntime.sleep(50)", timeout_ms = 55_000 }, giveUp.Token);
        await abandoned.Should().ThrowAsync<OperationCanceledException>();

        var clock = Stopwatch.StartNew();
        using var next = await ExecuteAsync(B, session, "print('next')");
        Log($"a forwarded 50 s call into {session} abandoned after 3 s; the next call answered {(int)next.StatusCode} after {clock.Elapsed.TotalSeconds:0.0} s");

        ((int)next.StatusCode).Should().Be(200);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the owner interrupted the abandoned call instead of running it to its end");
    }

    [Test, Order(4)]
    public async Task When_the_owner_is_killed_its_session_answers_410_through_the_survivor_within_a_second_and_the_survivor_keeps_serving()
    {
        var session = await OpenAsync(A);
        using (await ExecuteAsync(B, session, "x = 1"))
        {
        }

        var inFlight = ExecuteAsync(B, session, "import time\ntime.sleep(50)");
        var clock = Stopwatch.StartNew();
        A.Kill();
        using var cut = await inFlight;
        var cutAfter = clock.Elapsed;
        var cutBody = await cut.ReadJsonAsync();
        clock.Restart();
        using var next = await ExecuteAsync(B, session, "print(x)");
        var nextAfter = clock.Elapsed;
        var nextBody = await next.ReadJsonAsync();
        using var deleted = await B.Client.DeleteAsync(new Uri($"/v1/sessions/{session}", UriKind.Relative));
        using var survivorWorks = await B.Client.PostAsJsonAsync(new Uri("/v1/execute", UriKind.Relative), new { code = "print('still here')" });
        var survivorBody = await survivorWorks.ReadJsonAsync();
        Log($"replica a killed during a forwarded call into {session}: that call answered {(int)cut.StatusCode} after {cutAfter.TotalMilliseconds:0} ms "
            + $"({cutBody.GetProperty("detail")}); the next call {(int)next.StatusCode} after {nextAfter.TotalMilliseconds:0} ms; delete {(int)deleted.StatusCode}; "
            + $"b's own execute {(int)survivorWorks.StatusCode} {survivorBody.GetProperty("stdout")}");

        ((int)cut.StatusCode).Should().Be(410, $"the owner is gone; body: {cutBody}");
        cutAfter.Should().BeLessThan(TimeSpan.FromSeconds(3));
        cutBody.GetProperty("detail").GetString().Should().Contain("is lost: the replica that held its sandbox (replica-a/");
        ((int)next.StatusCode).Should().Be(410);
        nextAfter.Should().BeLessThan(TimeSpan.FromSeconds(1), "a refused connection is proof enough: no wait for REPLICA_TIMEOUT_SEC (60 s here)");
        ((int)deleted.StatusCode).Should().Be(410);
        ((int)survivorWorks.StatusCode).Should().Be(200);
        survivorBody.GetProperty("stdout").GetString().Should().Be("still here\n");
    }

    private static async Task<string> OpenAsync(ReplicaProcess replica)
    {
        using var opened = await replica.Client.PostAsJsonAsync(new Uri("/v1/sessions", UriKind.Relative), new { ttl_seconds = 600 });
        ((int)opened.StatusCode).Should().Be(201, await opened.Content.ReadAsStringAsync());
        Header(opened, "X-Replica").Should().Be($"replica-{replica.Name}");
        return (await opened.ReadJsonAsync()).GetProperty("session_id").GetString()!;
    }

    private static Task<HttpResponseMessage> ExecuteAsync(ReplicaProcess replica, string session, string code) =>
        replica.Client.PostAsJsonAsync(new Uri($"/v1/sessions/{session}/execute", UriKind.Relative), new { code, timeout_ms = 55_000 });

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
