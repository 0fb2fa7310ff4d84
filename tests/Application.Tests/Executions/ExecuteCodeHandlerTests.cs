using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary><c>/v1/execute</c>'s use case, sent through the mediator as the Api sends it (validation included).</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class ExecuteCodeHandlerTests : IDisposable
{
    private readonly ApplicationUnderTest _app = new();

    public void Dispose() => _app.Dispose();

    private static ExecuteCodeCommand Command(
        string code = "print(1)", int timeoutMs = 2000, string? stdin = null, params WorkspaceFileReference[] files) =>
        new(code, stdin, timeoutMs, true, files);

    private Func<Task<ExecutionResult>> Run(ExecuteCodeCommand command) => async () => await _app.Send(command);

    [Test]
    public async Task Stages_stored_files_at_their_paths_with_their_bytes()
    {
        _app.Readiness.MarkReady();
        var id = await _app.StoreAsync([1, 2, 3]);

        await _app.Send(Command(files: new WorkspaceFileReference("in/data.bin", id)));

        var staged = _app.Sandbox.Received!.InputFiles.Should().ContainSingle().Subject;
        staged.Path.Value.Should().Be("in/data.bin");
        staged.Content.ToArray().Should().Equal(1, 2, 3);
        _app.Sandbox.Received.GeneratedFiles.Should().NotBeNull("generated files are collected into the store");
    }

    [Test]
    public async Task Eval_last_expression_pre_commands_and_project_files_reach_the_sandbox()
    {
        _app.Readiness.MarkReady();

        await _app.Send(new ExecuteCodeCommand(null, null, 1500, false, [])
        {
            Sources = [new SourceFile("main.py", "1 + 1")],
            ProjectFiles = [new ProjectFile("data/blob.bin", new byte[] { 0, 255 })],
            Entrypoint = "main.py",
            EvalLastExpression = true,
            PreCommands = ["echo one", "echo two"],
        });

        var request = _app.Sandbox.Received!;
        request.InputFiles.Select(f => f.Path.Value).Should().Equal("main.py", "data/blob.bin");
        request.InputFiles[1].Content.ToArray().Should().Equal(0, 255);
        request.EvalLastExpression.Should().BeTrue();
        request.PreCommands.Should().Equal("echo one", "echo two");
    }

    [Test]
    public async Task Sources_go_before_staged_files_and_the_plan_reaches_the_sandbox()
    {
        _app.Readiness.MarkReady();
        _app.Limits.ExecutorImages = "3.12=registry.local/py:3.12";
        var id = await _app.StoreAsync([7]);

        await _app.Send(new ExecuteCodeCommand(null, null, 1500, false, [new WorkspaceFileReference("data.bin", id)])
        {
            Sources = [new SourceFile("main.py", "print(2)")],
            Entrypoint = "main.py",
            MemoryLimitMb = 300,
            CpuLimit = 0.5,
            PythonVersion = "3.12",
        });

        var request = _app.Sandbox.Received!;
        request.InputFiles.Select(f => f.Path.Value).Should().Equal("main.py", "data.bin");
        request.Entrypoint.Should().Be("main.py");
        request.Limits.MemoryLimitMb.Should().Be(300);
        request.Limits.Cpus.Should().Be(0.5);
        request.Image.Should().Be("registry.local/py:3.12");
        request.Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));
    }

    [Test]
    public async Task A_finished_execution_is_counted_by_its_outcome_with_its_code_duration()
    {
        _app.Readiness.MarkReady();

        await _app.Send(Command());

        _app.Metrics.Recorded.Should().Equal((ExecutionOutcome.Completed, TimeSpan.FromMilliseconds(5)));
    }

    [Test]
    public async Task A_call_takes_its_keys_place_once_and_gives_it_back_once_when_it_succeeds()
    {
        _app.Readiness.MarkReady();

        await _app.Send(Command());

        (_app.Shares.Entered, _app.Shares.Left).Should().Be((1, 1));
    }

    [Test]
    public async Task A_call_gives_its_keys_place_back_when_its_sandbox_fails()
    {
        _app.Readiness.MarkReady();
        _app.Sandbox.Run = (_, _) => throw new SandboxFailedException("broken");

        await Run(Command()).Should().ThrowAsync<SandboxFailedException>();

        (_app.Shares.Entered, _app.Shares.Left).Should().Be((1, 1));
    }

    [Test]
    public async Task A_call_of_a_key_at_its_limit_never_reaches_the_sandbox_and_is_counted_as_refused()
    {
        _app.Readiness.MarkReady();
        _app.Shares.Refuse = true;

        await Run(Command()).Should().ThrowAsync<TooManyRequestsException>();

        _app.Sandbox.Received.Should().BeNull();
        _app.Metrics.Recorded.Should().Equal((ExecutionOutcome.Refused, (TimeSpan?)null));
    }

    [Test]
    public async Task An_execution_refused_while_not_ready_is_counted_as_unavailable()
    {
        await Run(Command()).Should().ThrowAsync<ServiceUnavailableException>();
        _app.Metrics.Recorded.Should().Equal((ExecutionOutcome.Unavailable, (TimeSpan?)null));
    }

    [Test]
    public async Task An_invalid_request_is_not_counted_as_an_execution()
    {
        _app.Readiness.MarkReady();

        await Run(Command(files: new WorkspaceFileReference("a.txt", "missing"))).Should().ThrowAsync<NotFoundException>();
        _app.Metrics.Recorded.Should().BeEmpty();
    }

    [Test]
    public async Task An_unknown_file_id_is_not_found_before_anything_runs()
    {
        _app.Readiness.MarkReady();

        var run = Run(Command(files: new WorkspaceFileReference("a.csv", "0123456789abcdef0123456789abcdef")));

        (await run.Should().ThrowAsync<NotFoundException>()).Which.Message.Should().Be("File with ID '0123456789abcdef0123456789abcdef' not found");
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task The_same_path_twice_is_refused()
    {
        _app.Readiness.MarkReady();
        var id = await _app.StoreAsync([1]);

        var run = Run(Command(files: [new WorkspaceFileReference("a.csv", id), new WorkspaceFileReference("a.csv", id)]));

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().StartWith("File paths must be unique");
    }

    [Test]
    public async Task Staged_files_beyond_the_per_execution_bytes_are_refused()
    {
        _app.Readiness.MarkReady();
        _app.Limits.MaxFilesMbPerExecution = 1;
        var id = await _app.StoreAsync(new byte[(1024 * 1024) + 1]);

        var run = Run(Command(files: new WorkspaceFileReference("big.bin", id)));

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().Be("files exceed maximum of 1 MB per execution");
    }

    [Test]
    public async Task Passes_the_configured_limits_to_the_sandbox()
    {
        _app.Readiness.MarkReady();
        _app.Limits.MemoryLimitMb = 300;
        _app.Limits.CpuTimeLimitSec = 7;
        _app.Limits.MaxOutputBytes = 1234;

        await _app.Send(Command(timeoutMs: 1500));

        _app.Sandbox.Received!.Limits.Should().Be(new SandboxLimits(300, 7, 1234));
        _app.Sandbox.Received.Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));
    }

    [Test]
    public async Task Refuses_to_run_before_the_service_is_ready()
    {
        _app.Readiness.MarkNotReady("loading the image");

        (await Run(Command()).Should().ThrowAsync<ServiceUnavailableException>()).Which.Message.Should().Contain("loading the image");
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task Rejects_a_timeout_over_the_configured_maximum_before_anything_runs()
    {
        _app.Readiness.MarkReady();
        _app.Limits.MaxExecTimeoutMs = 5000;

        (await Run(Command(timeoutMs: 5001)).Should().ThrowAsync<RequestValidationException>())
            .Which.Message.Should().Be("timeout_ms exceeds maximum of 5000 ms");
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task Rejects_stdin_over_its_limit()
    {
        _app.Readiness.MarkReady();
        _app.Limits.MaxStdinBytes = 3;

        (await Run(Command(stdin: "abcd")).Should().ThrowAsync<RequestValidationException>()).Which.Field.Should().Be("stdin");
    }
}
