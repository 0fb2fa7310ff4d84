using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
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

    private readonly RecordingSandbox _sandbox = new();
    private readonly ServiceReadiness _readiness = new();

    private ExecuteCodeHandler Handler(ExecutionOptions? options = null) => new(
        _sandbox, _readiness, new ExecutionSlots(Microsoft.Extensions.Options.Options.Create(new ConcurrencyOptions())),
        Microsoft.Extensions.Options.Options.Create(options ?? new ExecutionOptions()),
        NullLogger<ExecuteCodeHandler>.Instance);

    private static ExecuteCodeCommand Command(string code = "print(1)", int timeoutMs = 2000, string? stdin = null) =>
        new(code, stdin, timeoutMs, true, []);

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
