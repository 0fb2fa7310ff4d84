using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Sessions;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The sandbox of one session: the runner in session mode behind an attached stream that stays open
/// for many ops (PROTOCOL.md, "Session mode"). Created with every setting of a one-off sandbox;
/// only stdin stays open after the first op. Ops run one at a time (the caller serialises them).
/// Everything read from it is hostile, as from any sandbox.
/// </summary>
internal sealed class SessionContainer : IAsyncDisposable
{
    /// <summary>How long the code may ignore an interrupt before the interpreter is killed and restarted.</summary>
    public static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(2);

    // After an interrupt: the grace, a restart of the interpreter, the workspace scan and file frames.
    private static readonly TimeSpan RecoveryAllowance = TimeSpan.FromSeconds(30);

    private readonly ContainerOperations _containers;
    private readonly RunnerConnection _runner;
    private bool _inStep = true;

    private SessionContainer(ContainerOperations containers, RunnerConnection runner)
    {
        _containers = containers;
        _runner = runner;
    }

    /// <summary>The container's id.</summary>
    public string Id => _runner.ContainerId;

    /// <summary>
    /// False once an op ended without its last frame read (the stream broke, the caller's store failed
    /// mid-call, ...): the stream is out of step and the session cannot serve another call.
    /// </summary>
    public bool IsInStep => _inStep;

    /// <summary>Creates, attaches and starts the sandbox of session <paramref name="sessionId"/>.</summary>
    public static async Task<SessionContainer> StartAsync(
        ContainerOperations containers, SandboxOptions options, SandboxShape shape, string sessionId,
        CancellationToken cancellationToken)
    {
        var parameters = SandboxContainerSpec.BuildRunner(options, shape, sessionId);
        // Many ops travel over the one attached stdin, so it must not close after the first attach.
        parameters.StdinOnce = false;
        parameters.Env.Add("RUNNER_MODE=session");
        parameters.Labels[SessionLabels.SessionId] = sessionId;
        var runner = await RunnerConnection.StartAsync(containers, parameters, "session's sandbox", cancellationToken)
            .ConfigureAwait(false);
        return new SessionContainer(containers, runner);
    }

    /// <summary>Waits for the runner's ready frame: its preloads are imported and its interpreter forked.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan bootTimeout, CancellationToken cancellationToken)
    {
        var frame = await NextFrameAsync(new RunnerDeadline(bootTimeout), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (frame is not { } first)
        {
            throw new SandboxFailedException(
                $"The session's sandbox did not become ready within {bootTimeout.TotalSeconds} s. {_runner.Diagnostics}");
        }

        if (first.Type != RunnerFrameType.Ready)
        {
            throw new SandboxFailedException($"The session's sandbox sent frame '{(char)first.Type}' while booting.");
        }
    }

    /// <summary>Writes <paramref name="files"/> into the workspace.</summary>
    public async Task StageFilesAsync(IReadOnlyList<SandboxInputFile> files, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var op = new SessionFilesOp([.. files.Select(RunnerInputFile.Of)]);
        await WriteAsync(op.ToFrame(), cancellationToken).ConfigureAwait(false);
        var frame = await NextFrameAsync(new RunnerDeadline(timeout), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (frame is not { } answer)
        {
            throw new SandboxFailedException($"The session's sandbox did not take its files within {timeout.TotalSeconds} s.");
        }

        if (answer.Type != RunnerFrameType.Result)
        {
            throw new SandboxFailedException(answer.Type == RunnerFrameType.RunnerError
                ? $"The session's sandbox could not write its files: {SandboxRun.FailureMessage(answer)}"
                : $"The session's sandbox answered the files with frame '{(char)answer.Type}'.");
        }
    }

    /// <summary>
    /// Runs one cell under the service's deadline: <paramref name="request"/>'s timeout from the runner's
    /// start frame (<paramref name="startTimeout"/> before it). At the deadline, or when
    /// <paramref name="cancellationToken"/> is cancelled, the cell is interrupted and its result still
    /// read, so the stream stays in step for the next call.
    /// </summary>
    /// <exception cref="SessionLostException">The session cannot serve another call.</exception>
    /// <exception cref="SandboxFailedException">The runner refused this op; the session is intact.</exception>
    public async Task<SessionExecutionResult> ExecuteAsync(
        SandboxRequest request, SessionExecuteOp op, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        _inStep = false;
        // Never cancelled half-way: a partly written op would leave the stream out of step.
        await WriteAsync(op.ToFrame(), CancellationToken.None).ConfigureAwait(false);
        var run = new SandboxRun(request);
        _runner.Expect(run.FrameLimits);
        var deadline = new RunnerDeadline(startTimeout);
        var interrupted = false;
        var timedOut = false;
        var cancelled = false;
        while (run.Result is null)
        {
            var frame = await NextFrameAsync(deadline, cancelled ? CancellationToken.None : cancellationToken)
                .ConfigureAwait(false);
            if (frame is { } arrived)
            {
                // Files go to the store even when the caller has gone: the cell's result must be read to its end.
                await AcceptAsync(run, arrived, () =>
                {
                    if (!interrupted)
                    {
                        deadline.Reset(request.Timeout);
                    }
                }).ConfigureAwait(false);
                continue;
            }

            if (interrupted)
            {
                throw new SessionLostException(
                    $"the session did not recover within {(InterruptGrace + RecoveryAllowance).TotalSeconds} s of an interrupt. {_runner.Diagnostics}");
            }

            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
            }
            else if (!run.Started)
            {
                throw new SessionLostException(
                    $"the session did not start the code within {startTimeout.TotalSeconds} s. {_runner.Diagnostics}");
            }
            else
            {
                timedOut = true;
            }

            await WriteAsync(SessionInterruptOp.Frame, CancellationToken.None).ConfigureAwait(false);
            interrupted = true;
            deadline.Reset(InterruptGrace + RecoveryAllowance);
        }

        if (!_runner.AtFrameBoundary)
        {
            throw new SessionLostException("the session sent more after the result of a call");
        }

        _inStep = true;
        cancellationToken.ThrowIfCancellationRequested();
        return ToResult(run, timedOut);
    }

    private static SessionExecutionResult ToResult(SandboxRun run, bool timedOut)
    {
        var reported = run.Result!;
        var result = run.ToResult(reported.ExitCode, reported.OomKills > 0);
        if (timedOut)
        {
            // As a one-off execution reports it: no exit code, and the interrupt is not the code's own error.
            result = result with { TimedOut = true, ExitCode = null, Error = null };
        }

        if (reported.InterpreterRestarted)
        {
            var why = timedOut
                ? $"the code did not stop within {InterruptGrace.TotalSeconds} s of the interrupt, so "
                : string.Empty;
            result = result with
            {
                Stderr = result.Stderr
                    + $"\n[session] {why}the Python interpreter was restarted: variables and imports of earlier calls are gone; files in /workspace are kept.\n",
            };
        }

        return new SessionExecutionResult(result, reported.InterpreterRestarted);
    }

    /// <summary>Runs a shell command in this sandbox (a docker exec, not the attached stream).</summary>
    public Task<ShellResult> RunShellAsync(ShellCommand command, CancellationToken cancellationToken) =>
        SessionShell.RunAsync(_containers.Client, Id, command, cancellationToken);

    private async Task AcceptAsync(SandboxRun run, RunnerFrame frame, Action onStarted)
    {
        try
        {
            await run.AcceptAsync(frame, onStarted, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RunnerProtocolException ex)
        {
            throw new SessionLostException($"the session broke the runner protocol: {ex.Message}", ex);
        }
        catch (SandboxFailedException) when (frame.Type == RunnerFrameType.RunnerError)
        {
            // The runner refused this op and sent nothing else: the session is intact.
            _inStep = _runner.AtFrameBoundary;
            throw;
        }
    }

    /// <summary>
    /// The next frame, or null when <paramref name="deadline"/> passes (or the token is cancelled) first;
    /// a read still pending then is kept for the next call.
    /// </summary>
    /// <exception cref="SessionLostException">The stream ended or broke the protocol.</exception>
    private async Task<RunnerFrame?> NextFrameAsync(RunnerDeadline deadline, CancellationToken cancellationToken)
    {
        RunnerFrame? frame;
        try
        {
            frame = await _runner.NextFrameAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerProtocolException ex)
        {
            throw new SessionLostException($"the session broke the runner protocol: {ex.Message}", ex);
        }

        return frame is null && _runner.Ended
            ? throw new SessionLostException($"the session's sandbox ended. {_runner.Diagnostics}")
            : frame;
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            await _runner.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerInputClosedException ex)
        {
            throw new SessionLostException("the session's sandbox no longer takes input", ex);
        }
    }

    /// <summary>Kills the container, which ends a call in progress at once; removal follows in <see cref="DisposeAsync"/>.</summary>
    public Task KillAsync() => _runner.KillAsync();

    public ValueTask DisposeAsync() => _runner.DisposeAsync();
}
