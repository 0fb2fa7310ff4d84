using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary>
/// Submitting a background execution: refused up front for what the run would refuse, else queued as
/// data; then the job's run (<see cref="IQueuedExecutionRunner"/>, what any worker calls), which moves
/// the job through its states.
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SubmitExecutionHandlerTests : IDisposable
{
    private readonly ApplicationUnderTest _app = new();

    public SubmitExecutionHandlerTests() => _app.AsyncLimits.MaxPending = 10;

    public void Dispose() => _app.Dispose();

    private static SubmitExecutionCommand Submit(string code = "print(1)", int timeoutMs = 2000, params WorkspaceFileReference[] files) =>
        new(new ExecuteCodeCommand(code, null, timeoutMs, true, files));

    private Func<Task<ExecutionJob>> Call(SubmitExecutionCommand command) => async () => await _app.Send(command);

    /// <summary>Submits a valid execution and returns its job with how a worker would run it.</summary>
    private async Task<(ExecutionJob Job, Func<CancellationToken, CancellationToken, Task> Run)> SubmittedAsync(SubmitExecutionCommand? command = null)
    {
        _app.Readiness.MarkReady();
        var job = await _app.Send(command ?? Submit());
        var execution = _app.Jobs.Queued.Should().ContainSingle().Subject.Execution;
        return (job, (cancel, stopping) => _app.QueuedRunner.RunAsync(execution, job, _app.Jobs, cancel, stopping));
    }

    [Test]
    public async Task A_valid_submission_queues_the_job_without_running_it_yet()
    {
        _app.Readiness.MarkReady();

        var job = await _app.Send(Submit());

        job.Id.Should().MatchRegex("^exec-[0-9a-f]{32}$");
        job.Status.Should().Be(ExecutionJobStatus.Queued);
        _app.Jobs.Queued.Should().ContainSingle().Which.Job.Should().BeSameAs(job);
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task The_queued_execution_is_the_command_without_its_observer_and_with_its_submitter()
    {
        _app.Readiness.MarkReady();
        var command = Submit("print(2)") with { };
        CallerContext.Owner = "team-a";

        await _app.Send(new SubmitExecutionCommand(command.Execution with { Observer = new NullObserver() }));
        CallerContext.Owner = null;

        var queued = _app.Jobs.Queued.Should().ContainSingle().Subject.Execution;
        queued.Owner.Should().Be("team-a");
        queued.Command.Observer.Should().BeNull("an observer cannot be kept as data, and nobody follows a background run live");
        queued.Command.Code.Should().Be("print(2)");
    }

    [Test]
    public async Task A_run_reports_running_then_its_final_state_to_the_store()
    {
        var (_, run) = await SubmittedAsync();

        await run(CancellationToken.None, CancellationToken.None);

        _app.Jobs.Reported.Should().Equal(ExecutionJobStatus.Running, ExecutionJobStatus.Completed);
    }

    [Test]
    public async Task A_run_works_as_the_submitter_whoever_runs_it()
    {
        string? ownerSeenBySandbox = "not run";
        _app.Sandbox.Run = (_, _) =>
        {
            ownerSeenBySandbox = CallerContext.Owner;
            return Task.FromResult(RecordingSandbox.Finished);
        };
        CallerContext.Owner = "team-b";
        var (_, run) = await SubmittedAsync();
        CallerContext.Owner = "someone-else";

        await Task.Run(() => run(CancellationToken.None, CancellationToken.None));
        CallerContext.Owner = null;

        ownerSeenBySandbox.Should().Be("team-b", "its files are looked up and generated as the submitter's");
    }

    private sealed class NullObserver : IExecutionObserver
    {
        public ValueTask OnStartedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    [Test]
    public async Task An_invalid_execution_is_refused_at_submit_and_never_started()
    {
        _app.Readiness.MarkReady();

        (await Call(Submit(timeoutMs: 60_001)).Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("timeout_ms");
        _app.Jobs.Queued.Should().BeEmpty();
    }

    [Test]
    public async Task An_unknown_file_is_refused_at_submit_as_not_found()
    {
        _app.Readiness.MarkReady();

        await Call(Submit(files: new WorkspaceFileReference("a.csv", new string('0', 32))))
            .Should().ThrowAsync<NotFoundException>().WithMessage($"File with ID '{new string('0', 32)}' not found");
        _app.Jobs.Queued.Should().BeEmpty();
    }

    [Test]
    public async Task A_submission_before_the_service_is_ready_is_unavailable()
    {
        await Call(Submit()).Should().ThrowAsync<ServiceUnavailableException>();
        _app.Jobs.Queued.Should().BeEmpty();
    }

    [Test]
    public async Task A_submission_beyond_the_unfinished_maximum_is_refused_with_retry_after()
    {
        _app.Readiness.MarkReady();
        _app.AsyncLimits.MaxPending = 2;
        _app.Jobs.Unfinished = 2;

        (await Call(Submit()).Should().ThrowAsync<TooManyRequestsException>()).Which.RetryAfter.Should().BePositive();
        _app.Jobs.Queued.Should().BeEmpty();
    }

    [Test]
    public async Task The_run_executes_the_submitted_plan_with_its_staged_file_and_completes_the_job()
    {
        _app.Readiness.MarkReady();
        var id = await _app.StoreAsync([4, 2]);
        var (job, run) = await SubmittedAsync(Submit(timeoutMs: 1500, files: new WorkspaceFileReference("in.bin", id)));

        await run(CancellationToken.None, CancellationToken.None);

        job.Status.Should().Be(ExecutionJobStatus.Completed);
        job.StartedAt.Should().NotBeNull("the job ran once its code started");
        job.Result.Should().Be(RecordingSandbox.Finished);
        var request = _app.Sandbox.Received!;
        request.Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));
        request.InputFiles.Should().ContainSingle().Which.Content.ToArray().Should().Equal(4, 2);
        _app.Metrics.Recorded.Should().Equal((ExecutionOutcome.Completed, TimeSpan.FromMilliseconds(5)));
    }

    [Test]
    public async Task A_run_that_times_out_ends_the_job_timed_out_with_its_result()
    {
        var timedOut = RecordingSandbox.Finished with { ExitCode = null, TimedOut = true };
        _app.Sandbox.Run = (_, _) => Task.FromResult(timedOut);
        var (job, run) = await SubmittedAsync();

        await run(CancellationToken.None, CancellationToken.None);

        job.Status.Should().Be(ExecutionJobStatus.TimedOut);
        job.Result.Should().Be(timedOut);
    }

    [Test]
    public async Task A_failed_run_fails_the_job_with_what_a_client_may_read()
    {
        _app.Sandbox.Run = (_, _) => throw new InvalidOperationException("/var/lib/secret");
        var (job, run) = await SubmittedAsync();

        await run(CancellationToken.None, CancellationToken.None);

        job.Status.Should().Be(ExecutionJobStatus.Failed);
        job.Error.Should().Be(ExecutionOutcomes.UnexpectedFailureMessage);
    }

    [Test]
    public async Task A_run_of_a_file_deleted_since_the_submit_fails_the_job()
    {
        _app.Readiness.MarkReady();
        var id = await _app.StoreAsync([1]);
        var (job, run) = await SubmittedAsync(Submit(files: new WorkspaceFileReference("in.bin", id)));
        await _app.Files.DeleteAsync(id, CancellationToken.None);

        await run(CancellationToken.None, CancellationToken.None);

        job.Status.Should().Be(ExecutionJobStatus.Failed);
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task A_run_cancelled_by_the_client_says_so()
    {
        var (job, run) = await SubmittedAsync();

        await run(new CancellationToken(canceled: true), CancellationToken.None);

        job.Status.Should().Be(ExecutionJobStatus.Cancelled);
        job.Error.Should().Be("cancelled by the client");
    }

    [Test]
    public async Task A_run_cancelled_because_the_service_stops_says_so()
    {
        var (job, run) = await SubmittedAsync();

        await run(new CancellationToken(canceled: true), new CancellationToken(canceled: true));

        job.Status.Should().Be(ExecutionJobStatus.Cancelled);
        job.Error.Should().Be("cancelled: the service shut down");
    }
}
