using System.Text.Json;
using System.Text.RegularExpressions;
using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>Our results in python-executor's words: the five statuses, integer fields, its timeout message.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed partial class PyExecResultMapperTests
{
    private static readonly DateTimeOffset Finished = new(2026, 12, 2, 12, 0, 1, TimeSpan.Zero);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [GeneratedRegex("^exe_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    private static partial Regex ExecutionIdShape();

    [Test]
    public void Ids_are_exe_and_a_lowercase_uuid_v4() =>
        Enumerable.Range(0, 20).Select(_ => PyExecResultMapper.NewExecutionId()).Should().AllSatisfy(id => ExecutionIdShape().IsMatch(id).Should().BeTrue(id));

    [Test]
    public void A_traceback_is_completed_with_its_type_and_line()
    {
        var result = Run(exitCode: 1, error: new ExecutionError("ZeroDivisionError", "division by zero", 3));

        var mapped = result.ToPyExecResult("exe_x", Finished, TimeSpan.FromSeconds(2));

        mapped.Status.Should().Be("completed");
        mapped.ExitCode.Should().Be(1);
        mapped.ErrorType.Should().Be("ZeroDivisionError");
        mapped.ErrorLine.Should().Be(3);
        mapped.Error.Should().BeNull();
    }

    [Test]
    public void A_timeout_is_failed_with_python_executors_message_and_keeps_the_output()
    {
        var result = Run(exitCode: null, timedOut: true, stdout: "partial\n");

        var mapped = result.ToPyExecResult("exe_x", Finished, TimeSpan.FromMilliseconds(2500));

        mapped.Status.Should().Be("failed");
        mapped.Error.Should().Be("execution timeout after 2.5s");
        mapped.Stdout.Should().Be("partial\n");
    }

    [Test]
    public void Numbers_are_integers_and_times_are_rfc3339_with_six_digits()
    {
        var mapped = Run(exitCode: 0, duration: TimeSpan.FromMilliseconds(12.6)).ToPyExecResult("exe_x", Finished, TimeSpan.FromSeconds(2));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(mapped, Json));
        var root = json.RootElement;
        root.GetProperty("exit_code").GetRawText().Should().Be("0");
        root.GetProperty("duration_ms").GetRawText().Should().Be("13");
        root.GetProperty("finished_at").GetString().Should().Be("2026-12-02T12:00:01.000000Z");
        root.GetProperty("started_at").GetString().Should().Be("2026-12-02T12:00:00.987400Z");
    }

    [TestCase(ExecutionJobStatus.Queued, "pending")]
    [TestCase(ExecutionJobStatus.Running, "running")]
    [TestCase(ExecutionJobStatus.Completed, "completed")]
    [TestCase(ExecutionJobStatus.Failed, "failed")]
    [TestCase(ExecutionJobStatus.TimedOut, "failed")]
    [TestCase(ExecutionJobStatus.Cancelled, "killed")]
    public void Every_job_state_is_one_of_the_five_words(ExecutionJobStatus status, string word) =>
        PyExecStatus.Of(status).Should().Be(word);

    [Test]
    public void A_pending_or_running_job_shows_no_output()
    {
        var job = new ExecutionJob("exec-1", Finished);
        job.MarkRunning(Finished);

        var mapped = job.ToPyExecResult();

        mapped.Status.Should().Be("running");
        mapped.Stdout.Should().BeNull();
        mapped.StartedAt.Should().Be("2026-12-02T12:00:01.000000Z");
        mapped.FinishedAt.Should().BeNull();
    }

    [Test]
    public void A_killed_job_stays_killed_with_its_reason()
    {
        var job = new ExecutionJob("exec-1", Finished);
        job.Cancel("cancelled by the client", Finished);

        var mapped = job.ToPyExecResult();

        mapped.Status.Should().Be("killed");
        mapped.Error.Should().Be("cancelled by the client");
    }

    [Test]
    public void A_finished_job_carries_its_result_and_its_start()
    {
        var job = new ExecutionJob("exec-1", Finished);
        job.MarkRunning(Finished.AddSeconds(-1));
        job.Complete(Run(exitCode: 0, stdout: "hi\n"), Finished);

        var mapped = job.ToPyExecResult();

        mapped.Status.Should().Be("completed");
        mapped.Stdout.Should().Be("hi\n");
        mapped.StartedAt.Should().Be("2026-12-02T12:00:00.000000Z");
    }

    private static ExecutionResult Run(
        int? exitCode, bool timedOut = false, string stdout = "", ExecutionError? error = null, TimeSpan? duration = null) =>
        new(stdout, string.Empty, exitCode, timedOut, duration ?? TimeSpan.FromMilliseconds(5), false, false, false, error);
}
