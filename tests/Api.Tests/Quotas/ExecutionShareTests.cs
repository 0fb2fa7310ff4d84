using System.Net.Http.Json;
using System.Text;

namespace CodeInterpreter.Api.Tests.Quotas;

/// <summary>MAX_CONCURRENT_EXECUTIONS_PER_KEY with the embedded store.</summary>
[TestFixture]
public sealed class ExecutionShareTests : ExecutionShareContractTests;

/// <summary>The same with the state in PostgreSQL: background rows and calls counted in the database.</summary>
[TestFixture]
public sealed class PostgresExecutionShareTests : ExecutionShareContractTests
{
    protected override bool SharesStateInPostgres => true;
}

/// <summary>
/// MAX_CONCURRENT_EXECUTIONS_PER_KEY = 1 with two keys: key A, with one execution running or queued, is
/// refused (429 + Retry-After) on every path, while key B still runs; A's place comes back when its
/// execution ends.
/// </summary>
public abstract class ExecutionShareContractTests : RealEngineApiTests
{
    private HttpClient _a = null!;
    private HttpClient _b = null!;

    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["API_KEYS"] = QuotaCalls.AllKeys,
        ["MAX_CONCURRENT_EXECUTIONS_PER_KEY"] = "1",
    };

    [OneTimeSetUp]
    public async Task ClientsAsync()
    {
        _a = await QuotaCalls.ReadyClientWithAsync(Factory, QuotaCalls.KeyA);
        _b = await QuotaCalls.ReadyClientWithAsync(Factory, QuotaCalls.KeyB);
    }

    [OneTimeTearDown]
    public void DisposeClients()
    {
        _a?.Dispose();
        _b?.Dispose();
    }

    [Test]
    public async Task A_key_with_a_background_execution_running_gets_429_on_every_path_while_another_key_still_runs()
    {
        var (_, submitted, _) = await _a.SubmitAsync(new { code = "import time\ntime.sleep(60)", timeout_ms = 60_000 });
        var id = submitted.GetProperty("execution_id").GetString()!;

        var (execute, problem) = await _a.PostExecuteAsync(new { code = "print('a')" });
        using var eval = await _a.PostAsJsonAsync(new Uri("/api/v1/eval", UriKind.Relative), new { code = "print('a')" });
        var evalError = await eval.ReadJsonAsync();
        var (submitAgain, _, submitResponse) = await _a.SubmitAsync(new { code = "print('a')" });
        var (others, othersBody) = await _b.PostExecuteAsync(new { code = "print('b')" });
        await _a.CancelExecutionAsync(id);
        var (afterwards, afterwardsBody) = await _a.PostExecuteAsync(new { code = "print('a again')" });

        execute.Should().Be(429);
        problem.GetProperty("detail").GetString().Should().Contain("MAX_CONCURRENT_EXECUTIONS_PER_KEY");
        ((int)eval.StatusCode).Should().Be(429);
        eval.Headers.RetryAfter.Should().NotBeNull();
        evalError.GetProperty("error").GetString().Should().Contain("MAX_CONCURRENT_EXECUTIONS_PER_KEY", "the facade answers in its own shape");
        submitAgain.Should().Be(429);
        submitResponse.Headers.RetryAfter.Should().NotBeNull();
        submitResponse.Dispose();
        others.Should().Be(200);
        othersBody.GetProperty("stdout").GetString().Should().Be("b\n", "another key is not starved by the first one's execution");
        afterwards.Should().Be(200, "the cancelled execution gave its key's place back");
        afterwardsBody.GetProperty("stdout").GetString().Should().Be("a again\n");
    }

    [Test]
    public async Task A_call_holds_its_keys_place_while_it_streams_and_gives_it_back_when_it_ends()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/execute/stream", UriKind.Relative))
        {
            Content = JsonContent.Create(new { code = "import time\nprint('started', flush=True)\ntime.sleep(3)", timeout_ms = 20_000 }),
        };
        using var stream = await _a.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line && !line.Contains("started", StringComparison.Ordinal))
        {
        }

        var (whileStreaming, _) = await _a.PostExecuteAsync(new { code = "print(1)" });
        await reader.ReadToEndAsync();
        var (afterwards, _) = await _a.PostExecuteAsync(new { code = "print(1)" });

        whileStreaming.Should().Be(429, "the key's one place is the running stream's");
        afterwards.Should().Be(200, "the stream's end gave the place back");
    }
}
