namespace CodeInterpreter.Api.Tests.Quotas;

/// <summary>MAX_RETAINED_EXECUTIONS with the embedded store.</summary>
[TestFixture]
public sealed class RetainedExecutionsTests : RetainedExecutionsContractTests;

/// <summary>The same with the executions kept in PostgreSQL.</summary>
[TestFixture]
public sealed class PostgresRetainedExecutionsTests : RetainedExecutionsContractTests
{
    protected override bool SharesStateInPostgres => true;
}

/// <summary>
/// MAX_RETAINED_EXECUTIONS = 2: a new submit removes the oldest finished execution; when both kept ones are
/// unfinished it is refused with 429 + Retry-After.
/// </summary>
public abstract class RetainedExecutionsContractTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["MAX_RETAINED_EXECUTIONS"] = "2",
    };

    [Test]
    public async Task A_new_submit_evicts_the_oldest_finished_execution()
    {
        var oldest = await SubmitFinishedAsync("print(1)");
        var newer = await SubmitFinishedAsync("print(2)");

        var (status, accepted, response) = await Client.SubmitAsync(new { code = "print(3)" });
        response.Dispose();
        var (oldestNow, _) = await Client.GetExecutionAsync(oldest);
        var (newerNow, _) = await Client.GetExecutionAsync(newer);

        status.Should().Be(202);
        oldestNow.Should().Be(404, "the oldest finished execution made room");
        newerNow.Should().Be(200);
        (await Client.PollUntilAsync(accepted.GetProperty("execution_id").GetString()!, s => s == "completed"))
            .GetProperty("result").GetProperty("stdout").GetString().Should().Be("3\n");
    }

    [Test]
    public async Task A_submit_is_refused_with_429_when_every_kept_execution_is_unfinished()
    {
        var sleepers = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var (submitted, body, response) = await Client.SubmitAsync(new { code = "import time\ntime.sleep(60)", timeout_ms = 60_000 });
            response.Dispose();
            submitted.Should().Be(202);
            sleepers.Add(body.GetProperty("execution_id").GetString()!);
        }

        var (status, problem, refused) = await Client.SubmitAsync(new { code = "print(1)" });
        using (refused)
        {
            foreach (var id in sleepers)
            {
                await Client.CancelExecutionAsync(id);
            }

            status.Should().Be(429);
            refused.Headers.RetryAfter.Should().NotBeNull();
            problem.GetProperty("detail").GetString().Should().Contain("MAX_RETAINED_EXECUTIONS").And.Contain("none of them has finished");
            foreach (var id in sleepers)
            {
                (await Client.GetExecutionAsync(id)).Status.Should().Be(200, "an unfinished execution is never evicted");
            }
        }
    }

    private async Task<string> SubmitFinishedAsync(string code)
    {
        var (_, accepted, response) = await Client.SubmitAsync(new { code });
        response.Dispose();
        var id = accepted.GetProperty("execution_id").GetString()!;
        await Client.PollUntilAsync(id, s => s == "completed");
        return id;
    }
}
