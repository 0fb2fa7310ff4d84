using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// A run whose output is relayed to a client that stalls (a streaming client that stopped reading) still ends at its
/// deadline. The code has far more to print than the sockets hold, so the engine is blocked writing it to the attached
/// stream when the sandbox is killed; the engine (20.10) finishes a container's exit only once that write is done, and
/// its kill waits for the exit: a kill sent while the stream is left unread never returned (the slot stayed taken).
/// </summary>
[TestFixture]
public sealed class StalledReaderTests
{
    private const string Flood = "import sys\nfor _ in range(16):\n    sys.stdout.write('x' * 1000000 + '\\n')";

    private readonly RecordingLogger<ContainerOperations> _log = new();
    private SandboxFixture _sandbox = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        await RealEngine.RequireAsync();
        _sandbox = new SandboxFixture(containerLogger: _log);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _sandbox.DisposeAsync();

    [Test]
    public async Task A_run_whose_output_stalls_past_its_deadline_is_killed_and_ends_timed_out()
    {
        // The first piece of output takes 5 s to relay (a client that stopped reading); the deadline (1 s) passes meanwhile.
        var observer = new StallingObserver(TimeSpan.FromSeconds(5));

        var result = await _sandbox.RunAsync(
                Flood, timeoutMs: 1000, maxOutputBytes: 16_000_000, configure: request => request with { Observer = observer })
            .WaitAsync(TimeSpan.FromSeconds(60));

        result.TimedOut.Should().BeTrue("the code was still printing at its deadline");
        observer.Outputs.Should().BeGreaterThan(0, "the run relayed output before it stalled");
        _log.Messages.Should().NotContain(
            message => message.Contains("did not confirm the kill", StringComparison.Ordinal),
            "the engine confirms the kill: the run did not end only because the kill's own bound passed");
    }

    private sealed class StallingObserver(TimeSpan stall) : IExecutionObserver
    {
        public int Outputs { get; private set; }

        public ValueTask OnStartedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken)
        {
            if (Outputs++ == 0)
            {
                await Task.Delay(stall, cancellationToken);
            }
        }
    }
}
