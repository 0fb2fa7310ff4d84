using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// One started sandbox container with its runner's connection. It serves exactly one request and is
/// removed when disposed; nothing ever runs in it twice.
/// </summary>
internal sealed partial class SandboxContainer : IAsyncDisposable
{
    private const int SigKill = 9;
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExitOnItsOwnWait = TimeSpan.FromSeconds(1);
    // The engine's `oom` event came up to ~140 ms after the `die` event here (gVisor); room for load.
    private static readonly TimeSpan LateOomEventWait = TimeSpan.FromSeconds(2);

    private readonly ContainerOperations _containers;
    private readonly RunnerConnection _runner;
    private readonly ILogger _logger;
    private bool _used;
    private bool _lingers;

    private SandboxContainer(ContainerOperations containers, RunnerConnection runner, SandboxShape shape, ILogger logger)
    {
        _containers = containers;
        _runner = runner;
        Shape = shape;
        _logger = logger;
    }

    public string Id => _runner.ContainerId;

    public SandboxShape Shape { get; }

    /// <summary>
    /// How far the runner got: <see cref="SandboxBoot.Booted"/> (preloads not imported),
    /// <see cref="SandboxBoot.Ready"/> (imported, or nothing to import); null before either.
    /// </summary>
    public SandboxBoot? Boot { get; private set; }

    /// <summary>False once a parked (booted or ready) sandbox's stream has ended: it died while waiting.</summary>
    public bool IsAlive => _runner.IsAlive;

    /// <summary>Creates, attaches and starts a sandbox (the runner then boots and waits for a request).</summary>
    public static async Task<SandboxContainer> StartAsync(
        ContainerOperations containers, SandboxOptions options, SandboxShape shape, string label,
        ILogger logger, CancellationToken cancellationToken)
    {
        var parameters = SandboxContainerSpec.BuildRunner(options, shape, label);
        var runner = await RunnerConnection.StartAsync(containers, parameters, "sandbox", cancellationToken).ConfigureAwait(false);
        return new SandboxContainer(containers, runner, shape, logger);
    }

    /// <summary>
    /// Waits until the runner has booted: <see cref="SandboxBoot.Booted"/> when it waits to hear
    /// whether to import its preloads (then send the request, or <see cref="PreloadAsync"/>),
    /// <see cref="SandboxBoot.Ready"/> when it has nothing to preload.
    /// </summary>
    public Task<SandboxBoot> WaitUntilBootedAsync(TimeSpan bootTimeout, CancellationToken cancellationToken) =>
        WaitForBootFrameAsync(acceptBooted: true, bootTimeout, cancellationToken);

    /// <summary>Tells a booted runner to import its preloads before it waits for the request.</summary>
    public Task PreloadAsync(CancellationToken cancellationToken) => _runner.WriteAsync(RunnerInputFrame.Empty, cancellationToken);

    /// <summary>Waits for the runner's ready frame (its preloads imported).</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForBootFrameAsync(acceptBooted: false, timeout, cancellationToken);

    /// <summary>
    /// Reads the runner's next boot frame; at the deadline the container is killed. After the frame
    /// one read is kept pending, so a sandbox that dies while parked is noticed at once.
    /// </summary>
    private async Task<SandboxBoot> WaitForBootFrameAsync(bool acceptBooted, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await _runner.NextFrameAsync(timeout, cancellationToken).ConfigureAwait(false) is not { } frame)
        {
            if (_runner.Ended)
            {
                throw new SandboxNotStartedException($"the sandbox ended while booting. {_runner.Diagnostics}");
            }

            await _runner.KillAsync().ConfigureAwait(false);
            throw new SandboxNotStartedException($"the sandbox did not become ready within {timeout.TotalSeconds} s");
        }

        var boot = frame.Type switch
        {
            RunnerFrameType.Booted when acceptBooted => SandboxBoot.Booted,
            RunnerFrameType.Ready => SandboxBoot.Ready,
            _ => throw new RunnerProtocolException($"frame '{(char)frame.Type}' while booting"),
        };

        // The runner waits on its stdin after either frame: nothing may follow it.
        if (await _runner.NextFrameAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false) is { } extra)
        {
            throw new RunnerProtocolException($"frame '{(char)extra.Type}' while booting");
        }

        _runner.ReadAhead();
        Boot = boot;
        return boot;
    }

    /// <summary>
    /// Sends the request and relays frames under the service's deadline: the request's timeout
    /// from the runner's start frame, <paramref name="bootTimeout"/> before it. When a deadline
    /// passes the container is killed.
    /// </summary>
    /// <exception cref="SandboxNotStartedException">The sandbox ended before the code started.</exception>
    public async Task<ExecutionResult> RunAsync(
        SandboxRequest request, RunnerRequest runnerRequest, TimeSpan bootTimeout, CancellationToken cancellationToken)
    {
        if (_used)
        {
            throw new InvalidOperationException("A sandbox serves exactly one request.");
        }

        _used = true;
        try
        {
            // The input stays open: after its result the runner waits for it to end (see DisposeAsync).
            await _runner.WriteAsync(runnerRequest.ToFrame(), cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerInputClosedException ex)
        {
            throw new SandboxNotStartedException("the sandbox's input is closed", ex);
        }

        var run = new SandboxRun(request);
        _runner.Expect(run.FrameLimits);
        var deadlinePassed = await RelayAsync(run, request.Timeout, bootTimeout, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (!run.Started)
        {
            throw new SandboxNotStartedException(deadlinePassed
                ? $"the sandbox did not start the code within {bootTimeout.TotalSeconds} s. {_runner.Diagnostics}"
                : $"the sandbox ended before the code started. {_runner.Diagnostics}");
        }

        if (run.Result is null)
        {
            return deadlinePassed ? run.ToTimedOutResult() : await ResultOfVanishedRunnerAsync(run).ConfigureAwait(false);
        }

        var oomKilled = run.Result.OomKills > 0;
        if (!oomKilled && run.Result.Signal == SigKill)
        {
            // The runner's cgroup reading can miss a kill it raced with; the engine's record settles it
            // (its events so far: the container runs on, the OOM killer took one of its processes).
            oomKilled = await _containers.OomKilledAsync(Id, await _containers.InspectStateAsync(Id).ConfigureAwait(false), TimeSpan.Zero)
                .ConfigureAwait(false);
        }

        _lingers = true;
        return run.ToResult(run.Result.ExitCode, oomKilled);
    }

    /// <summary>
    /// Relays frames until the result. True when a deadline passed (or the caller went away) first:
    /// the container is killed then. False when the result came or the stream ended without it.
    /// </summary>
    private async Task<bool> RelayAsync(SandboxRun run, TimeSpan timeout, TimeSpan bootTimeout, CancellationToken cancellationToken)
    {
        var deadline = new RunnerDeadline(bootTimeout);
        while (run.Result is null)
        {
            if (await _runner.NextFrameAsync(deadline, cancellationToken).ConfigureAwait(false) is not { } frame)
            {
                if (!_runner.Ended)
                {
                    await _runner.KillAsync().ConfigureAwait(false);
                    return true;
                }

                if (!_runner.AtFrameBoundary)
                {
                    throw new RunnerProtocolException("the stream ended inside a frame");
                }

                return false;
            }

            await run.AcceptAsync(frame, () => deadline.Reset(timeout), cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private async Task<ExecutionResult> ResultOfVanishedRunnerAsync(SandboxRun run)
    {
        // The runner ended without a result: killed by the OOM killer or by the code itself.
        await _containers.WaitForExitAsync(Id, ExitWait).ConfigureAwait(false);
        var state = await _containers.InspectStateAsync(Id).ConfigureAwait(false);
        // A SIGKILLed sandbox may have been OOM-killed with the engine's flag unset (a late `oom` event).
        var oomKilled = state?.OOMKilled == true
            || (state?.ExitCode == 128 + SigKill && await _containers.OomKilledAsync(Id, state, LateOomEventWait).ConfigureAwait(false));
        LogRunnerVanished(Id, state?.ExitCode, oomKilled, _runner.Diagnostics);
        return run.ToResult(state is null ? null : (int)state.ExitCode, oomKilled);
    }

    /// <summary>
    /// Removes the sandbox. A one-shot runner that sent its result stays (every other process in the
    /// sandbox killed) until its input ends, so the engine handles the container's end here, where the
    /// pool lets the removal wait for a pause in a burst of calls, not during the next call. Closing the
    /// input lets it exit on its own first: removing a container that has stopped costs the engine less
    /// than killing a running one (no extra runtime call).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_lingers)
        {
            try
            {
                _runner.CloseInput();
                await _runner.DrainAsync(ExitOnItsOwnWait).ConfigureAwait(false);
            }
            catch (RunnerInputClosedException)
            {
                // The stream is gone already: the forced removal settles it.
            }
        }

        await _runner.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox {ContainerId}: the runner ended without a result (exit {ExitCode}, oom {OomKilled}). Runner stderr: {Diagnostics}")]
    private partial void LogRunnerVanished(string containerId, long? exitCode, bool? oomKilled, string diagnostics);
}
