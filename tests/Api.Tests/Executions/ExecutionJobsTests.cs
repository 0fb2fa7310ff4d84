using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>POST/GET/DELETE /v1/executions: background executions, kept by the embedded store.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecutionJobsTests : ExecutionJobsContractTests;

/// <summary>The same, kept as a durable queue in PostgreSQL.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class PostgresExecutionJobsTests : ExecutionJobsContractTests
{
    protected override bool SharesStateInPostgres => true;
}

/// <summary>What background executions do, whichever store keeps them.</summary>
public abstract class ExecutionJobsContractTests : RealEngineApiTests
{
    private static readonly Uri Executions = new("/v1/executions", UriKind.Relative);

    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["EXECUTION_RESULT_TTL_SEC"] = "2",
        ["EXECUTION_SWEEP_INTERVAL_SEC"] = "1",
    };

    private async Task<(int Status, JsonElement Body)> SubmitAsync(object request)
    {
        using var response = await Client.PostAsJsonAsync(Executions, request);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<(int Status, JsonElement Body)> GetAsync(string id)
    {
        using var response = await Client.GetAsync(new Uri($"/v1/executions/{Uri.EscapeDataString(id)}", UriKind.Relative));
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<JsonElement> PollUntilAsync(string id, Func<string, bool> done)
    {
        JsonElement last = default;
        var reached = await RealEngine.EventuallyAsync(async () =>
        {
            (_, last) = await GetAsync(id);
            return done(last.GetProperty("status").GetString()!);
        }, TimeSpan.FromSeconds(60));
        reached.Should().BeTrue($"execution {id} should reach the expected status; last: {last}");
        return last;
    }

    [Test]
    public async Task A_submitted_execution_is_accepted_then_polled_to_its_result()
    {
        var (status, accepted) = await SubmitAsync(new { code = "print(6 * 7)" });

        status.Should().Be(202);
        var id = accepted.GetProperty("execution_id").GetString()!;
        accepted.GetProperty("status").GetString().Should().BeOneOf("queued", "running", "completed");
        var done = await PollUntilAsync(id, s => s == "completed");
        done.GetProperty("result").GetProperty("stdout").GetString().Should().Be("42\n");
        done.GetProperty("result").GetProperty("exit_code").GetInt32().Should().Be(0);
        done.GetProperty("finished_at").GetDouble().Should().BeGreaterThanOrEqualTo(done.GetProperty("created_at").GetDouble());
    }

    [Test]
    public async Task A_running_execution_can_be_cancelled_and_its_sandbox_is_killed()
    {
        // Another memory limit than the pool's: a cold sandbox, labelled with its execution id.
        var (_, accepted) = await SubmitAsync(new { code = "import time\ntime.sleep(60)", timeout_ms = 60_000, memory_limit_mb = 300 });
        var id = accepted.GetProperty("execution_id").GetString()!;
        await PollUntilAsync(id, s => s == "running");

        using var response = await Client.DeleteAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
        var cancelled = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(200);
        cancelled.GetProperty("status").GetString().Should().Be("cancelled");
        (await RealEngine.EventuallyAsync(
                async () => await RealEngine.CountSandboxesAsync(Factory.Instance, coldOnly: true) == 0, TimeSpan.FromSeconds(20)))
            .Should().BeTrue("a cancelled execution's sandbox is removed");
    }

    [Test]
    public async Task A_timeout_is_reported_as_timed_out_with_its_result()
    {
        var (_, accepted) = await SubmitAsync(new { code = "while True: pass", timeout_ms = 500 });

        var done = await PollUntilAsync(accepted.GetProperty("execution_id").GetString()!, s => s == "timed_out");

        done.GetProperty("result").GetProperty("timed_out").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task Finished_results_expire()
    {
        var (_, accepted) = await SubmitAsync(new { code = "print(1)" });
        var id = accepted.GetProperty("execution_id").GetString()!;
        await PollUntilAsync(id, s => s == "completed");

        var expired = await RealEngine.EventuallyAsync(async () => (await GetAsync(id)).Status == 404, TimeSpan.FromSeconds(20));

        expired.Should().BeTrue("EXECUTION_RESULT_TTL_SEC is 2 s here");
    }

    [TestCase("exec-doesnotexist")]
    [TestCase("../../etc/passwd")]
    [TestCase("%00")]
    public async Task Unknown_ids_answer_404_problem_details(string id)
    {
        var (status, body) = await GetAsync(id);
        using var delete = await Client.DeleteAsync(new Uri($"/v1/executions/{Uri.EscapeDataString(id)}", UriKind.Relative));

        status.Should().Be(404);
        body.GetProperty("detail").GetString().Should().Contain("not found");
        ((int)delete.StatusCode).Should().Be(404);
    }

    [Test]
    public async Task An_invalid_submission_is_refused_at_once()
    {
        var (status, body) = await SubmitAsync(new { code = "print(1)", timeout_ms = 999_999 });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Be("timeout_ms exceeds maximum of 60000 ms");
    }
}
