using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;

namespace CodeInterpreter.Api.Tests.Sessions;

/// <summary>Sessions on the real engine, through the HTTP pipeline: persistence, isolation, shell, timeouts, lifetime.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SessionsEndpointTests
{
    private string _storage = null!;
    private ApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _storage = Directory.CreateTempSubdirectory("ci-sessions-").FullName;
        _factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["FILE_STORAGE_DIR"] = _storage,
            ["SESSION_SWEEP_INTERVAL_SEC"] = "1",
        });
        _client = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_storage is not null)
        {
            Directory.Delete(_storage, recursive: true);
        }
    }

    [Test]
    public async Task A_session_keeps_a_variable_for_the_next_call()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (first, _) = await _client.SessionExecuteAsync(session.Id, new { code = "x = 41" });
        var (status, body) = await _client.SessionExecuteAsync(session.Id, new { code = "print(x + 1)" });

        first.Should().Be(200);
        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("42\n");
        body.GetProperty("exit_code").GetInt32().Should().Be(0);
        body.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task Opening_a_session_answers_201_with_an_id_and_an_expiry()
    {
        using var response = await _client.PostAsJsonAsync(SessionCalls.Sessions, new { ttl_seconds = 600 });
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(201);
        body.GetProperty("session_id").GetString().Should().MatchRegex("^code-session-[0-9a-f]{32}$");
        var expiresAt = body.GetProperty("expires_at");
        expiresAt.ValueKind.Should().Be(JsonValueKind.Number, "the reference declares expires_at a Unix time in seconds, never a date string");
        DateTimeOffset.UnixEpoch.AddSeconds(expiresAt.GetDouble()).Should().BeCloseTo(DateTimeOffset.UtcNow.AddSeconds(600), TimeSpan.FromSeconds(60));
        await _client.DeleteAsync(SessionCalls.Session(body.GetProperty("session_id").GetString()!));
    }

    [Test]
    public async Task A_session_keeps_an_uploaded_file_and_a_dataframe_between_calls()
    {
        var fileId = await _client.UploadFileAsync(Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n"), "data.csv");
        await using var session = await _client.OpenTestSessionAsync(new { files = new[] { new { path = "in/data.csv", file_id = fileId } } });

        var (_, load) = await _client.SessionExecuteAsync(session.Id, new { code = "import pandas as pd\ndf = pd.read_csv('in/data.csv')", timeout_ms = 20_000 });
        var (_, body) = await _client.SessionExecuteAsync(session.Id, new
        {
            code = "print(int(df.a.sum()), int(df.b.sum()))\nprint(open('in/data.csv').read(), end='')",
            timeout_ms = 20_000,
        });

        load.GetProperty("exit_code").GetInt32().Should().Be(0, load.GetProperty("stderr").GetString());
        body.GetProperty("stdout").GetString().Should().Be("4 6\na,b\n1,2\n3,4\n");
        body.GetProperty("files").GetArrayLength().Should().Be(0, "the staged file is unchanged");
    }

    [Test]
    public async Task A_call_returns_the_files_it_created_and_not_those_of_earlier_calls()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (_, first) = await _client.SessionExecuteAsync(session.Id, new { code = "open('a.txt', 'w').write('first')" });
        var (_, second) = await _client.SessionExecuteAsync(session.Id, new { code = "open('b.txt', 'w').write('second')" });

        var created = second.GetProperty("files").EnumerateArray().Single();
        created.GetProperty("path").GetString().Should().Be("b.txt");
        first.GetProperty("files").EnumerateArray().Single().GetProperty("path").GetString().Should().Be("a.txt");
        Encoding.UTF8.GetString(await _client.DownloadFileAsync(created.GetProperty("file_id").GetString()!)).Should().Be("second");
    }

    [Test]
    public async Task A_dataframe_shown_in_a_session_is_an_output_with_html_and_the_call_reports_usage()
    {
        await using var session = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(session.Id, new { code = "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})", timeout_ms = 30_000 });

        var (status, body) = await _client.SessionExecuteAsync(session.Id, new { code = "df" });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Contain("a");
        var item = body.GetProperty("outputs").EnumerateArray().Should().ContainSingle().Subject;
        item.GetProperty("type").GetString().Should().Be("execute_result");
        item.GetProperty("data").GetProperty("text/html").GetString().Should().Contain("<table");
        item.GetProperty("data").GetProperty("application/json").GetProperty("total_rows").GetInt32().Should().Be(2);
        body.GetProperty("usage").GetProperty("peak_memory_bytes").GetInt64().Should().BePositive();
        body.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task Plt_show_in_a_session_returns_the_figure_of_that_call()
    {
        await using var session = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(session.Id, new { code = "import matplotlib.pyplot as plt", timeout_ms = 30_000 });

        var (_, body) = await _client.SessionExecuteAsync(session.Id, new { code = "plt.plot([1, 2, 3])\nplt.show()", timeout_ms = 30_000 });

        body.GetProperty("exit_code").GetInt32().Should().Be(0, body.ToString());
        body.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).Should().Equal("figure_1.png");
    }

    [Test]
    public async Task Two_sessions_cannot_see_each_others_variables_or_files()
    {
        await using var first = await _client.OpenTestSessionAsync();
        await using var second = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(first.Id, new { code = "secret = 'first'\nopen('secret.txt', 'w').write(secret)" });

        var (_, body) = await _client.SessionExecuteAsync(second.Id, new { code = "import os\nprint('secret' in globals(), os.path.exists('secret.txt'))" });

        body.GetProperty("stdout").GetString().Should().Be("False False\n");
    }

    [Test]
    public async Task Bash_runs_a_command_in_the_session_workspace()
    {
        await using var session = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(session.Id, new { code = "open('made-by-python.txt', 'w').write('x')" });

        var (status, body) = await _client.SessionBashAsync(session.Id, new { cmd = "echo hi && ls && id -u" });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("hi\nmade-by-python.txt\n10001\n");
        body.GetProperty("stderr").GetString().Should().BeEmpty();
        body.GetProperty("exit_code").GetInt32().Should().Be(0);
        body.GetProperty("timed_out").GetBoolean().Should().BeFalse();
        body.GetProperty("duration_ms").TryGetInt64(out _).Should().BeTrue();
    }

    [Test]
    public async Task Bash_can_pack_and_list_a_tar_archive()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (_, body) = await _client.SessionBashAsync(session.Id, new { cmd = "echo content > somefile && tar -czf a.tgz somefile && tar -tzf a.tgz" });

        body.GetProperty("exit_code").GetInt32().Should().Be(0, body.GetProperty("stderr").GetString());
        body.GetProperty("stdout").GetString().Should().Be("somefile\n");
    }

    [Test]
    public async Task Bash_reports_a_failing_command_with_its_exit_code_and_stderr()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (_, body) = await _client.SessionBashAsync(session.Id, new { cmd = "ls no-such-file" });

        body.GetProperty("exit_code").GetInt32().Should().Be(2);
        body.GetProperty("stderr").GetString().Should().Contain("no-such-file");
    }

    [Test]
    public async Task Bash_kills_a_command_past_its_timeout()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (status, body) = await _client.SessionBashAsync(session.Id, new { cmd = "echo started; sleep 30", timeout_ms = 1000 });

        status.Should().Be(200);
        body.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        body.GetProperty("exit_code").ValueKind.Should().Be(JsonValueKind.Null);
        body.GetProperty("stdout").GetString().Should().Be("started\n");
        body.GetProperty("duration_ms").GetInt64().Should().BeInRange(1000, 5000);
        var (_, after) = await _client.SessionBashAsync(session.Id, new { cmd = "echo still here" });
        after.GetProperty("stdout").GetString().Should().Be("still here\n");
    }

    [Test]
    public async Task A_timed_out_call_is_interrupted_and_the_next_call_in_the_session_still_works()
    {
        await using var session = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(session.Id, new { code = "x = 7" });

        var (status, body) = await _client.SessionExecuteAsync(session.Id, new { code = "while True: pass", timeout_ms = 1000 });
        var (_, next) = await _client.SessionExecuteAsync(session.Id, new { code = "print('alive')\nprint(x)" });

        status.Should().Be(200, body.ToString());
        body.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        body.GetProperty("exit_code").ValueKind.Should().Be(JsonValueKind.Null);
        body.GetProperty("duration_ms").GetInt64().Should().BeInRange(1000, 5000);
        body.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse("KeyboardInterrupt stops a plain loop");
        body.GetProperty("stderr").GetString().Should().Contain("KeyboardInterrupt");
        next.GetProperty("stdout").GetString().Should().Be("alive\n7\n", "the interpreter was not restarted, so x survives");
        next.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task Code_that_ignores_the_interrupt_gets_its_interpreter_restarted_and_says_so()
    {
        await using var session = await _client.OpenTestSessionAsync();
        await _client.SessionExecuteAsync(session.Id, new { code = "x = 7" });

        var (_, body) = await _client.SessionExecuteAsync(session.Id, new
        {
            code = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass",
            timeout_ms = 1000,
        });
        var (_, next) = await _client.SessionExecuteAsync(session.Id, new { code = "print('alive', 'x' in globals())" });

        body.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        body.GetProperty("interpreter_restarted").GetBoolean().Should().BeTrue();
        body.GetProperty("stderr").GetString().Should().Contain("interpreter was restarted");
        next.GetProperty("stdout").GetString().Should().Be("alive False\n");
        next.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task Running_out_of_memory_restarts_the_interpreter_and_keeps_the_session()
    {
        await using var session = await _client.OpenTestSessionAsync(new { memory_limit_mb = 256 });
        await _client.SessionBashAsync(session.Id, new { cmd = "echo kept > kept.txt" });

        var (_, body) = await _client.SessionExecuteAsync(session.Id, new { code = "hog = bytearray(1024 * 1024 * 1024)", timeout_ms = 30_000 });
        var (_, next) = await _client.SessionExecuteAsync(session.Id, new { code = "print(open('kept.txt').read(), end='')" });

        body.GetProperty("oom_killed").GetBoolean().Should().BeTrue(body.ToString());
        body.GetProperty("interpreter_restarted").GetBoolean().Should().BeTrue();
        next.GetProperty("stdout").GetString().Should().Be("kept\n");
    }

    [Test]
    public async Task An_expired_session_has_its_container_removed()
    {
        await using var session = await _client.OpenTestSessionAsync(new { ttl_seconds = 1 });

        var removed = await RealEngine.EventuallyAsync(
            async () => await SessionCalls.CountContainersAsync(session.Id) == 0, TimeSpan.FromSeconds(30));
        var (status, _) = await _client.SessionExecuteAsync(session.Id, new { code = "print(1)" });

        removed.Should().BeTrue("the TTL reaper removes the container of an expired session");
        status.Should().Be(404);
    }

    [Test]
    public async Task Deleting_a_session_removes_its_container()
    {
        await using var session = await _client.OpenTestSessionAsync();
        (await SessionCalls.CountContainersAsync(session.Id)).Should().Be(1);

        using var response = await _client.DeleteAsync(SessionCalls.Session(session.Id));

        ((int)response.StatusCode).Should().Be(204);
        (await SessionCalls.CountContainersAsync(session.Id)).Should().Be(0);
        var (status, _) = await _client.SessionBashAsync(session.Id, new { cmd = "true" });
        status.Should().Be(404);
    }

    [TestCase("execute")]
    [TestCase("bash")]
    [TestCase("delete")]
    public async Task An_unknown_session_answers_404_naming_it(string call)
    {
        const string unknown = "code-session-00000000000000000000000000000000";

        var (status, body) = call switch
        {
            "execute" => await _client.SessionExecuteAsync(unknown, new { code = "print(1)" }),
            "bash" => await _client.SessionBashAsync(unknown, new { cmd = "true" }),
            _ => await _client.SessionDeleteAsync(unknown),
        };

        status.Should().Be(404);
        body.GetProperty("detail").GetString().Should().Be($"Session '{unknown}' not found");
    }

    [TestCase(0)]
    [TestCase(86_401)]
    public async Task A_ttl_outside_one_second_to_a_day_is_refused_with_422(int ttlSeconds)
    {
        using var response = await _client.PostAsJsonAsync(SessionCalls.Sessions, new { ttl_seconds = ttlSeconds });
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("ttl_seconds");
    }

    [Test]
    public async Task A_bash_timeout_over_60_seconds_is_refused_with_422()
    {
        await using var session = await _client.OpenTestSessionAsync();

        var (status, body) = await _client.SessionBashAsync(session.Id, new { cmd = "true", timeout_ms = 60_001 });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Be("timeout_ms exceeds maximum of 60000 ms");
    }

    [Test]
    public async Task Staging_an_unknown_file_into_a_session_answers_404()
    {
        using var response = await _client.PostAsJsonAsync(
            SessionCalls.Sessions, new { files = new[] { new { path = "a.txt", file_id = "0123456789abcdef0123456789abcdef" } } });

        ((int)response.StatusCode).Should().Be(404);
    }

    [Test]
    public async Task Staging_a_file_at_an_illegal_path_answers_422()
    {
        var fileId = await _client.UploadFileAsync([1, 2, 3], "a.bin");

        using var response = await _client.PostAsJsonAsync(
            SessionCalls.Sessions, new { files = new[] { new { path = "../a.bin", file_id = fileId } } });
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(422);
        body.GetProperty("detail").GetString().Should().StartWith("File paths must");
    }
}

/// <summary>One open session at most: the next one is refused until a place frees up.</summary>
public sealed class SessionLimitTests
{
    [Test]
    public async Task Beyond_max_sessions_opening_one_answers_429_with_retry_after_until_one_is_deleted()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["MAX_SESSIONS"] = "1" });
        using var client = await factory.CreateReadyClientAsync();
        var first = await client.OpenSessionAsync();

        using var refused = await client.PostAsJsonAsync(SessionCalls.Sessions, new { ttl_seconds = 60 });
        var body = await refused.ReadJsonAsync();
        await client.SessionDeleteAsync(first);
        var second = await client.OpenSessionAsync();

        ((int)refused.StatusCode).Should().Be(429);
        refused.Headers.RetryAfter.Should().NotBeNull();
        body.GetProperty("detail").GetString().Should().Contain("MAX_SESSIONS");
        second.Should().NotBe(first);
    }
}

/// <summary>With API_KEYS set, a session belongs to the key that opened it.</summary>
public sealed class SessionAccessTests
{
    private const string KeyA = "session-key-a-0123456789";
    private const string KeyB = "session-key-b-9876543210";

    [Test]
    public async Task Another_key_can_neither_run_code_in_nor_delete_a_session_it_did_not_open()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["API_KEYS"] = $"{KeyA},{KeyB}" });
        using var owner = ClientWith(factory, KeyA);
        using var other = ClientWith(factory, KeyB);
        (await RealEngine.EventuallyAsync(
                async () => (await owner.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the service becomes ready");
        await using var session = await owner.OpenTestSessionAsync();

        var (execute, _) = await other.SessionExecuteAsync(session.Id, new { code = "print(1)" });
        var (bash, _) = await other.SessionBashAsync(session.Id, new { cmd = "true" });
        var (delete, _) = await other.SessionDeleteAsync(session.Id);
        var (mine, body) = await owner.SessionExecuteAsync(session.Id, new { code = "print(1)" });

        execute.Should().Be(404);
        bash.Should().Be(404);
        delete.Should().Be(404);
        mine.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("1\n");
    }

    [Test]
    public async Task One_key_at_max_sessions_per_key_is_refused_with_429_while_another_key_still_opens_sessions()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["API_KEYS"] = $"{KeyA},{KeyB}",
            ["MAX_SESSIONS"] = "4",
            ["MAX_SESSIONS_PER_KEY"] = "1",
        });
        using var greedy = ClientWith(factory, KeyA);
        using var other = ClientWith(factory, KeyB);
        (await RealEngine.EventuallyAsync(
                async () => (await greedy.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the service becomes ready");
        var first = await greedy.OpenSessionAsync();

        using var refused = await greedy.PostAsJsonAsync(SessionCalls.Sessions, new { ttl_seconds = 60 });
        var body = await refused.ReadJsonAsync();
        var others = await other.OpenSessionAsync();
        await greedy.SessionDeleteAsync(first);
        var again = await greedy.OpenSessionAsync();

        ((int)refused.StatusCode).Should().Be(429);
        refused.Headers.RetryAfter.Should().NotBeNull();
        body.GetProperty("detail").GetString().Should().Contain("MAX_SESSIONS_PER_KEY");
        others.Should().NotBeNullOrEmpty("the other key is not starved by the first one's sessions");
        again.Should().NotBe(first, "a deleted session gives its key's place back");
        await other.SessionDeleteAsync(others);
        await greedy.SessionDeleteAsync(again);
    }

    private static HttpClient ClientWith(ApiFactory factory, string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

internal static class SessionCalls
{
    public static readonly Uri Sessions = new("/v1/sessions", UriKind.Relative);

    public static Uri Session(string sessionId) => new($"/v1/sessions/{sessionId}", UriKind.Relative);

    /// <summary>Opens a session (asserting 201) and returns its id.</summary>
    public static async Task<string> OpenSessionAsync(this HttpClient client, object? request = null)
    {
        using var response = await client.PostAsJsonAsync(Sessions, request ?? new { });
        var body = await response.ReadJsonAsync();
        ((int)response.StatusCode).Should().Be(201, body.ToString());
        return body.GetProperty("session_id").GetString()!;
    }

    public static async Task<(int Status, JsonElement Body)> SessionExecuteAsync(this HttpClient client, string sessionId, object request)
    {
        using var response = await client.PostAsJsonAsync(new Uri($"/v1/sessions/{sessionId}/execute", UriKind.Relative), request);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    public static async Task<(int Status, JsonElement Body)> SessionBashAsync(this HttpClient client, string sessionId, object request)
    {
        using var response = await client.PostAsJsonAsync(new Uri($"/v1/sessions/{sessionId}/bash", UriKind.Relative), request);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    public static async Task<(int Status, JsonElement Body)> SessionDeleteAsync(this HttpClient client, string sessionId)
    {
        using var response = await client.DeleteAsync(Session(sessionId));
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    /// <summary>Opens a session that is deleted (if still open) when disposed.</summary>
    public static async Task<TestSession> OpenTestSessionAsync(this HttpClient client, object? request = null) =>
        new(client, await client.OpenSessionAsync(request));

    /// <summary>Containers (in any state) labelled as <paramref name="sessionId"/>'s sandbox.</summary>
    public static async Task<int> CountContainersAsync(string sessionId)
    {
        using var docker = RealEngine.CreateClient();
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"code-interpreter.session={sessionId}"] = true },
            },
        });
        return containers.Count;
    }
}

/// <summary>A session a test opened; deleted at the end of the test so sessions do not pile up.</summary>
internal sealed class TestSession(HttpClient client, string id) : IAsyncDisposable
{
    public string Id { get; } = id;

    public async ValueTask DisposeAsync() => await client.SessionDeleteAsync(Id);
}
