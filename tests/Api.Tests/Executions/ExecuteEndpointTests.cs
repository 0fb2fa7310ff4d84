using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecuteEndpointTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["MAX_OUTPUT_BYTES"] = "1000",
        ["MAX_OUTPUT_ITEMS"] = "2",
    };

    [Test]
    public async Task Execute_answers_hello_world_in_the_reference_shape()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print('hello world')" });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("hello world\n");
        body.GetProperty("stderr").GetString().Should().BeEmpty();
        body.GetProperty("exit_code").GetInt32().Should().Be(0);
        body.GetProperty("timed_out").GetBoolean().Should().BeFalse();
        body.GetProperty("duration_ms").ValueKind.Should().Be(JsonValueKind.Number);
        body.GetProperty("duration_ms").TryGetInt64(out _).Should().BeTrue("duration_ms is an integer");
        body.GetProperty("files").GetArrayLength().Should().Be(0);
        body.GetProperty("stdout_truncated").GetBoolean().Should().BeFalse();
        body.GetProperty("stderr_truncated").GetBoolean().Should().BeFalse();
        body.GetProperty("oom_killed").GetBoolean().Should().BeFalse();
        body.GetProperty("error").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Test]
    public async Task Display_items_past_max_output_items_are_left_out_and_flagged()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "display(1)\ndisplay(2)\ndisplay(3)" });

        body.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("data").GetProperty("text/plain").GetString())
            .Should().Equal("1", "2");
        body.GetProperty("outputs_truncated").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task A_display_item_over_max_output_bytes_is_kept_empty_and_marked_truncated()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "display('x' * 2000)" });

        var item = body.GetProperty("outputs").EnumerateArray().Should().ContainSingle().Subject;
        item.GetProperty("data").EnumerateObject().Should().BeEmpty();
        item.GetProperty("truncated").GetBoolean().Should().BeTrue();
        body.GetProperty("outputs_truncated").GetBoolean().Should().BeFalse("the item is listed, only its content was cut");
    }

    [Test]
    public async Task Execute_echoes_the_last_expression_by_default()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "2 + 2" });

        body.GetProperty("stdout").GetString().Should().Be("4\n");
    }

    [Test]
    public async Task Execute_reads_stdin()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "print(input()[::-1])", stdin = "abc\n" });

        body.GetProperty("stdout").GetString().Should().Be("cba\n");
    }

    [Test]
    public async Task Execute_reports_exit_code_traceback_and_error()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "x = 1\nraise ValueError('boom')" });

        body.GetProperty("exit_code").GetInt32().Should().Be(1);
        body.GetProperty("stderr").GetString().Should().Contain("ValueError: boom");
        body.GetProperty("error").GetProperty("type").GetString().Should().Be("ValueError");
        body.GetProperty("error").GetProperty("line").GetInt32().Should().Be(2);
    }

    [Test]
    public async Task Execute_returns_timed_out_when_code_loops_forever()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "while True: pass", timeout_ms = 1000 });

        status.Should().Be(200);
        body.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        body.GetProperty("exit_code").ValueKind.Should().Be(JsonValueKind.Null);
        body.GetProperty("duration_ms").GetInt64().Should().BeInRange(1000, 4000);
    }

    [Test]
    public async Task Execute_cuts_output_at_max_output_bytes_and_flags_it()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "print('y' * 5000)" });

        body.GetProperty("stdout").GetString().Should().Be(new string('y', 1000) + "\n...[truncated]");
        body.GetProperty("stdout_truncated").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task Execute_ignores_unknown_fields()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", language = "python", whatever = new { nested = 1 } });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("1\n");
    }

    [Test]
    public async Task Execute_leaves_no_sandbox_container_behind()
    {
        var (_, finished) = await Client.PostExecuteAsync(new { code = RealEngine.PrintOwnContainerId });
        var (_, timedOut) = await Client.PostExecuteAsync(new { code = RealEngine.PrintOwnContainerId + "while True: pass", timeout_ms = 500 });
        timedOut.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        string[] used = [finished.GetProperty("stdout").GetString()!.Trim(), timedOut.GetProperty("stdout").GetString()!.Trim()];

        used.Should().AllSatisfy(id => id.Should().MatchRegex("^[0-9a-f]{64}$"));
        (await RealEngine.EventuallyAsync(
                async () => !await RealEngine.ContainerExistsAsync(used[0]) && !await RealEngine.ContainerExistsAsync(used[1]), TimeSpan.FromSeconds(10)))
            .Should().BeTrue("every sandbox that served an execution is removed; only warm ones wait");
    }
}
