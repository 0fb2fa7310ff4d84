using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Application.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Application.Tests.Executions;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class ExecuteCodeHandlerTests
{
    private sealed class RecordingSandbox : ISandboxProvider
    {
        public SandboxRequest? Received { get; private set; }

        public Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
        {
            Received = request;
            return Task.FromResult(new ExecutionResult("out", "", 0, false, TimeSpan.FromMilliseconds(5), false, false, false, null));
        }
    }

    private sealed class RecordingMetrics : IExecutionMetrics
    {
        public List<(ExecutionOutcome Outcome, TimeSpan? CodeDuration)> Recorded { get; } = [];

        public void Record(ExecutionOutcome outcome, TimeSpan? codeDuration) => Recorded.Add((outcome, codeDuration));
    }

    private readonly RecordingSandbox _sandbox = new();
    private readonly RecordingMetrics _metrics = new();
    private readonly ServiceReadiness _readiness = new();
    private readonly InMemoryFileStore _files = new();

    private ExecuteCodeHandler Handler(ExecutionOptions? options = null) => new(
        _sandbox, _files, _readiness, new ExecutionSlots(Microsoft.Extensions.Options.Options.Create(new ConcurrencyOptions())),
        _metrics,
        Microsoft.Extensions.Options.Options.Create(options ?? new ExecutionOptions()),
        NullLogger<ExecuteCodeHandler>.Instance);

    private static ExecuteCodeCommand Command(
        string code = "print(1)", int timeoutMs = 2000, string? stdin = null, params WorkspaceFileReference[] files) =>
        new(code, stdin, timeoutMs, true, files);

    private async Task<string> StoreAsync(byte[] content) =>
        (await _files.SaveAsync("data.bin", new MemoryStream(content), long.MaxValue, CancellationToken.None)).FileId;

    [Test]
    public async Task Stages_stored_files_at_their_paths_with_their_bytes()
    {
        _readiness.MarkReady();
        var id = await StoreAsync([1, 2, 3]);

        await Handler().Handle(Command(files: new WorkspaceFileReference("in/data.bin", id)), CancellationToken.None);

        var staged = _sandbox.Received!.InputFiles.Should().ContainSingle().Subject;
        staged.Path.Value.Should().Be("in/data.bin");
        staged.Content.ToArray().Should().Equal(1, 2, 3);
        _sandbox.Received.GeneratedFiles.Should().NotBeNull("generated files are collected into the store");
    }

    [Test]
    public async Task A_finished_execution_is_counted_by_its_outcome_with_its_code_duration()
    {
        _readiness.MarkReady();

        await Handler().Handle(Command(), CancellationToken.None);

        _metrics.Recorded.Should().Equal((ExecutionOutcome.Completed, TimeSpan.FromMilliseconds(5)));
    }

    [Test]
    public async Task An_execution_refused_while_not_ready_is_counted_as_unavailable()
    {
        var act = async () => await Handler().Handle(Command(), CancellationToken.None);

        await act.Should().ThrowAsync<ServiceUnavailableException>();
        _metrics.Recorded.Should().Equal((ExecutionOutcome.Unavailable, (TimeSpan?)null));
    }

    [Test]
    public async Task An_invalid_request_is_not_counted_as_an_execution()
    {
        _readiness.MarkReady();

        var act = async () => await Handler().Handle(Command(files: new WorkspaceFileReference("a.txt", "missing")), CancellationToken.None);

        await act.Should().ThrowAsync<NotFoundException>();
        _metrics.Recorded.Should().BeEmpty();
    }

    [TestCase(0, false, false, ExecutionOutcome.Completed)]
    [TestCase(1, false, false, ExecutionOutcome.Failed)]
    [TestCase(137, false, true, ExecutionOutcome.OomKilled)]
    [TestCase(null, true, false, ExecutionOutcome.TimedOut)]
    public void Results_map_to_outcomes(int? exitCode, bool timedOut, bool oomKilled, ExecutionOutcome expected) =>
        ExecutionOutcomes.Of(new ExecutionResult("", "", exitCode, timedOut, TimeSpan.Zero, false, false, oomKilled, null))
            .Should().Be(expected);

    [Test]
    public void Failures_map_to_outcomes()
    {
        ExecutionOutcomes.Of(new TooManyRequestsException("busy", TimeSpan.FromSeconds(1))).Should().Be(ExecutionOutcome.Refused);
        ExecutionOutcomes.Of(new OperationCanceledException()).Should().Be(ExecutionOutcome.Cancelled);
        ExecutionOutcomes.Of(new SandboxFailedException("broke")).Should().Be(ExecutionOutcome.Error);
    }

    [Test]
    public async Task An_unknown_file_id_is_not_found_before_anything_runs()
    {
        _readiness.MarkReady();

        var run = async () => await Handler().Handle(Command(files: new WorkspaceFileReference("a.csv", "0123456789abcdef0123456789abcdef")), CancellationToken.None);

        (await run.Should().ThrowAsync<NotFoundException>()).Which.Message.Should().Be("File with ID '0123456789abcdef0123456789abcdef' not found");
        _sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task The_same_path_twice_is_refused()
    {
        _readiness.MarkReady();
        var id = await StoreAsync([1]);

        var run = async () => await Handler().Handle(
            Command(files: [new WorkspaceFileReference("a.csv", id), new WorkspaceFileReference("a.csv", id)]), CancellationToken.None);

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().StartWith("File paths must be unique");
    }

    [Test]
    public async Task Staged_files_beyond_the_per_execution_bytes_are_refused()
    {
        _readiness.MarkReady();
        var id = await StoreAsync(new byte[(1024 * 1024) + 1]);

        var run = async () => await Handler(new ExecutionOptions { MaxFilesMbPerExecution = 1 })
            .Handle(Command(files: new WorkspaceFileReference("big.bin", id)), CancellationToken.None);

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().Be("files exceed maximum of 1 MB per execution");
    }

    [Test]
    public async Task Passes_the_configured_limits_to_the_sandbox()
    {
        _readiness.MarkReady();
        var options = new ExecutionOptions { MemoryLimitMb = 300, CpuTimeLimitSec = 7, MaxOutputBytes = 1234 };

        await Handler(options).Handle(Command(timeoutMs: 1500), CancellationToken.None);

        _sandbox.Received!.Limits.Should().Be(new SandboxLimits(300, 7, 1234));
        _sandbox.Received.Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));
    }

    [Test]
    public async Task Refuses_to_run_before_the_service_is_ready()
    {
        _readiness.MarkNotReady("loading the image");

        var run = async () => await Handler().Handle(Command(), CancellationToken.None);

        (await run.Should().ThrowAsync<ServiceUnavailableException>()).Which.Message.Should().Contain("loading the image");
        _sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task Rejects_a_timeout_over_the_configured_maximum_before_anything_runs()
    {
        _readiness.MarkReady();

        var run = async () => await Handler(new ExecutionOptions { MaxExecTimeoutMs = 5000 }).Handle(Command(timeoutMs: 5001), CancellationToken.None);

        (await run.Should().ThrowAsync<RequestValidationException>())
            .Which.Message.Should().Be("timeout_ms exceeds maximum of 5000 ms");
        _sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task Rejects_stdin_over_its_limit()
    {
        _readiness.MarkReady();

        var run = async () => await Handler(new ExecutionOptions { MaxStdinBytes = 3 }).Handle(Command(stdin: "abcd"), CancellationToken.None);

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("stdin");
    }
}
