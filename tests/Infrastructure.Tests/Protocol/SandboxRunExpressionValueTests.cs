using System.Text;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Tests.Protocol;

/// <summary>How <see cref="SandboxRun"/> takes a result's <c>last_expression_value</c>: hostile input, type-checked and bounded.</summary>
public sealed class SandboxRunExpressionValueTests
{
    private static SandboxRequest Request(bool evaluate, long maxOutputBytes = 1_000_000) =>
        new("exec-1", "1", null, LastLineInteractive: false, TimeSpan.FromSeconds(5), new SandboxLimits(256, 3, maxOutputBytes))
        {
            EvalLastExpression = evaluate,
        };

    private static async Task<SandboxRun> RunWithResultAsync(SandboxRequest request, string resultJson)
    {
        var run = new SandboxRun(request);
        await run.AcceptAsync(new RunnerFrame(RunnerFrameType.Started, []), () => { }, CancellationToken.None);
        await run.AcceptAsync(new RunnerFrame(RunnerFrameType.Result, Encoding.UTF8.GetBytes(resultJson)), () => { }, CancellationToken.None);
        return run;
    }

    [Test]
    public async Task A_string_value_is_reported_when_it_was_asked_for()
    {
        var run = await RunWithResultAsync(Request(evaluate: true), """{"exit_code": 0, "last_expression_value": "'a'"}""");

        run.ToResult(0, oomKilled: false).LastExpressionValue.Should().Be("'a'");
    }

    [Test]
    public async Task A_value_nobody_asked_for_is_dropped()
    {
        var run = await RunWithResultAsync(Request(evaluate: false), """{"exit_code": 0, "last_expression_value": "forged"}""");

        run.ToResult(0, oomKilled: false).LastExpressionValue.Should().BeNull();
    }

    [Test]
    public async Task A_value_is_cut_to_max_output_bytes_without_splitting_a_character()
    {
        var run = await RunWithResultAsync(Request(evaluate: true, maxOutputBytes: 5), """{"exit_code": 0, "last_expression_value": "ééé"}""");

        run.ToResult(0, oomKilled: false).LastExpressionValue.Should().Be("éé");
    }

    [Test]
    public async Task A_value_is_cut_to_64_KiB_whatever_max_output_bytes_allows()
    {
        var run = await RunWithResultAsync(Request(evaluate: true), $$"""{"exit_code": 0, "last_expression_value": "{{new string('x', 70_000)}}"}""");

        run.ToResult(0, oomKilled: false).LastExpressionValue.Should().HaveLength(SandboxRun.MaxExpressionValueBytes);
    }

    [Test]
    public async Task A_value_that_is_not_a_string_breaks_the_protocol()
    {
        var accept = () => RunWithResultAsync(Request(evaluate: true), """{"exit_code": 0, "last_expression_value": 10}""");

        await accept.Should().ThrowAsync<RunnerProtocolException>();
    }

    [Test]
    public void The_result_frame_bound_grows_only_when_the_value_is_asked_for()
    {
        new SandboxRun(Request(evaluate: false)).FrameLimits.MaxResultBytes.Should().Be(1 << 20);
        new SandboxRun(Request(evaluate: true)).FrameLimits.MaxResultBytes.Should().Be((1 << 20) + (6 * SandboxRun.MaxExpressionValueBytes));
    }
}
