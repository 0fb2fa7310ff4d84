using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary>Submitting a background execution: refused up front for what the run would refuse, else started.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SubmitExecutionHandlerTests
{
    private sealed class RecordingJobs : IExecutionJobs
    {
        public List<(ExecutionJob Job, ExecuteCodeCommand Command)> Started { get; } = [];

        public int Unfinished { get; set; }

        public void Start(ExecutionJob job, ExecuteCodeCommand command) => Started.Add((job, command));

        public ExecutionJob? Find(string id) => Started.Select(s => s.Job).FirstOrDefault(j => j.Id == id);

        public Task CancelAsync(ExecutionJob job, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private readonly RecordingJobs _jobs = new();
    private readonly InMemoryFileStore _files = new();
    private readonly ServiceReadiness _readiness = new();

    private SubmitExecutionHandler Handler(int maxPending = 10) => new(
        _jobs, _files, _readiness,
        Microsoft.Extensions.Options.Options.Create(new ExecutionOptions()),
        Microsoft.Extensions.Options.Options.Create(new AsyncExecutionOptions { MaxPending = maxPending }),
        TimeProvider.System);

    private static SubmitExecutionCommand Submit(string code = "print(1)", int timeoutMs = 2000, params WorkspaceFileReference[] files) =>
        new(new ExecuteCodeCommand(code, null, timeoutMs, true, files));

    [Test]
    public async Task A_valid_submission_starts_a_job_with_its_command()
    {
        _readiness.MarkReady();
        var command = Submit();

        var job = await Handler().Handle(command, CancellationToken.None);

        job.Id.Should().MatchRegex("^exec-[0-9a-f]{32}$");
        _jobs.Started.Should().ContainSingle().Which.Should().Be((job, command.Execution));
    }

    [Test]
    public async Task An_invalid_execution_is_refused_at_submit_and_never_started()
    {
        _readiness.MarkReady();

        var call = () => Handler().Handle(Submit(timeoutMs: 60_001), CancellationToken.None).AsTask();

        (await call.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("timeout_ms");
        _jobs.Started.Should().BeEmpty();
    }

    [Test]
    public async Task An_unknown_file_is_refused_at_submit_as_not_found()
    {
        _readiness.MarkReady();

        var call = () => Handler().Handle(Submit(files: new WorkspaceFileReference("a.csv", new string('0', 32))), CancellationToken.None).AsTask();

        await call.Should().ThrowAsync<NotFoundException>().WithMessage($"File with ID '{new string('0', 32)}' not found");
        _jobs.Started.Should().BeEmpty();
    }

    [Test]
    public async Task A_submission_before_the_service_is_ready_is_unavailable()
    {
        var call = () => Handler().Handle(Submit(), CancellationToken.None).AsTask();

        await call.Should().ThrowAsync<ServiceUnavailableException>();
        _jobs.Started.Should().BeEmpty();
    }

    [Test]
    public async Task A_submission_beyond_the_unfinished_maximum_is_refused_with_retry_after()
    {
        _readiness.MarkReady();
        _jobs.Unfinished = 2;

        var call = () => Handler(maxPending: 2).Handle(Submit(), CancellationToken.None).AsTask();

        (await call.Should().ThrowAsync<TooManyRequestsException>()).Which.RetryAfter.Should().BePositive();
        _jobs.Started.Should().BeEmpty();
    }
}
