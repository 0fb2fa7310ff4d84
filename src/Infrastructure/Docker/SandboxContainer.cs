using System.Net.Sockets;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// One started sandbox container with its attached stream. It serves exactly one request and is
/// removed when disposed; nothing ever runs in it twice.
/// </summary>
internal sealed partial class SandboxContainer : IAsyncDisposable
{
    private const int ReadBufferBytes = (64 * 1024) + 5;
    private const int MaxRunnerDiagnosticsBytes = 16 * 1024;
    private const int SigKill = 9;
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExitOnItsOwnWait = TimeSpan.FromSeconds(1);

    private readonly ContainerOperations _containers;
    private readonly ILogger _logger;
    private readonly MultiplexedStream _stream;
    private readonly RunnerFrameReader _reader = new(new RunnerFrameLimits());
    private readonly byte[] _buffer = new byte[ReadBufferBytes];
    private readonly OutputCapture _diagnostics = new(MaxRunnerDiagnosticsBytes);
    private readonly List<RunnerFrame> _frames = [];
    private Task<MultiplexedStream.ReadResult>? _pendingRead;
    private bool _used;
    private bool _exitsOnItsOwn;

    private SandboxContainer(ContainerOperations containers, ILogger logger, string id, SandboxShape shape, MultiplexedStream stream)
    {
        _containers = containers;
        _logger = logger;
        Id = id;
        Shape = shape;
        _stream = stream;
    }

    public string Id { get; }

    public SandboxShape Shape { get; }

    /// <summary>
    /// How far the runner got: <see cref="SandboxBoot.Booted"/> (preloads not imported),
    /// <see cref="SandboxBoot.Ready"/> (imported, or nothing to import); null before either.
    /// </summary>
    public SandboxBoot? Boot { get; private set; }

    /// <summary>False once a parked (booted or ready) sandbox's stream has ended: it died while waiting.</summary>
    public bool IsAlive => _pendingRead is not { IsCompleted: true } read
        || (read.IsCompletedSuccessfully && !read.Result.EOF);

    /// <summary>Creates, attaches and starts a sandbox (the runner then boots and waits for a request).</summary>
    public static async Task<SandboxContainer> StartAsync(
        ContainerOperations containers, SandboxOptions options, SandboxShape shape, string label,
        ILogger logger, CancellationToken cancellationToken)
    {
        var parameters = SandboxContainerSpec.Build(options, shape, label);
        var (id, stream) = await containers.CreateAttachStartAsync(parameters, "sandbox", cancellationToken).ConfigureAwait(false);
        return new SandboxContainer(containers, logger, id, shape, stream);
    }

    /// <summary>
    /// Waits until the runner has booted: <see cref="SandboxBoot.Booted"/> when it waits to hear
    /// whether to import its preloads (then send the request, or <see cref="PreloadAsync"/>),
    /// <see cref="SandboxBoot.Ready"/> when it has nothing to preload.
    /// </summary>
    public Task<SandboxBoot> WaitUntilBootedAsync(TimeSpan bootTimeout, CancellationToken cancellationToken) =>
        WaitForBootFrameAsync(acceptBooted: true, bootTimeout, cancellationToken);

    /// <summary>Tells a booted runner to import its preloads before it waits for the request.</summary>
    public async Task PreloadAsync(CancellationToken cancellationToken)
    {
        // An empty frame: a request frame is never empty.
        var frame = new byte[4];
        await _stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for the runner's ready frame (its preloads imported).</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForBootFrameAsync(acceptBooted: false, timeout, cancellationToken);

    /// <summary>
    /// Reads the runner's next boot frame. After it one read is kept pending, so a sandbox that
    /// dies while parked is noticed at once.
    /// </summary>
    private async Task<SandboxBoot> WaitForBootFrameAsync(bool acceptBooted, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        SandboxBoot? boot = null;
        Task? kill = null;
        await using (deadline.Token.Register(() => kill = KillAsync()).ConfigureAwait(false))
        {
            while (boot is null)
            {
                var read = await ReadAsync(deadline).ConfigureAwait(false);
                if (read is null)
                {
                    throw new SandboxNotStartedException($"the sandbox did not become ready within {timeout.TotalSeconds} s");
                }

                if (read.Value.Eof)
                {
                    throw new SandboxNotStartedException($"the sandbox ended while booting. {_diagnostics.ToText()}");
                }

                if (read.Value.IsStderr)
                {
                    _diagnostics.Append(_buffer.AsSpan(0, read.Value.Count));
                    continue;
                }

                _frames.Clear();
                _reader.Feed(_buffer.AsSpan(0, read.Value.Count), _frames);
                foreach (var frame in _frames)
                {
                    // The runner waits on its stdin after either frame: nothing may follow it.
                    boot = (frame.Type, boot) switch
                    {
                        (RunnerFrameType.Booted, null) when acceptBooted => SandboxBoot.Booted,
                        (RunnerFrameType.Ready, null) => SandboxBoot.Ready,
                        _ => throw new RunnerProtocolException($"frame '{(char)frame.Type}' while booting"),
                    };
                }
            }
        }

        if (kill is not null)
        {
            await kill.ConfigureAwait(false);
        }

        // The runner now waits on its stdin: a read kept pending tells a parked sandbox's death at once.
        _pendingRead = _stream.ReadOutputAsync(_buffer, 0, _buffer.Length, CancellationToken.None);
        Boot = boot;
        return boot.Value;
    }

    /// <summary>
    /// Sends the request and relays frames under the service's deadline: the request's timeout
    /// from the runner's start frame, <paramref name="bootTimeout"/> before it. When a deadline
    /// passes the container is killed, which also ends a read that does not observe cancellation.
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
        var frame = runnerRequest.ToFrame();
        try
        {
            await _stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
            _stream.CloseWrite();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new SandboxNotStartedException("the sandbox's input is closed", ex);
        }

        var run = new SandboxRun(request);
        _reader.Limits = run.FrameLimits;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? kill = null;
        await using (deadline.Token.Register(() => kill = KillAsync()).ConfigureAwait(false))
        {
            deadline.CancelAfter(bootTimeout);
            await RelayAsync(run, request.Timeout, deadline, cancellationToken).ConfigureAwait(false);
        }

        if (kill is not null)
        {
            await kill.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!run.Started)
        {
            throw new SandboxNotStartedException(deadline.IsCancellationRequested
                ? $"the sandbox did not start the code within {bootTimeout.TotalSeconds} s. {_diagnostics.ToText()}"
                : $"the sandbox ended before the code started. {_diagnostics.ToText()}");
        }

        if (run.Result is null)
        {
            return deadline.IsCancellationRequested ? run.ToTimedOutResult() : await ResultOfVanishedRunnerAsync(run).ConfigureAwait(false);
        }

        var oomKilled = run.Result.OomKills > 0;
        if (!oomKilled && run.Result.Signal == SigKill)
        {
            // The runner's cgroup reading can miss a kill it raced with; the engine's record settles it.
            oomKilled = (await InspectStateAsync().ConfigureAwait(false))?.OOMKilled == true;
        }

        _exitsOnItsOwn = true;
        return run.ToResult(run.Result.ExitCode, oomKilled);
    }

    private async Task RelayAsync(SandboxRun run, TimeSpan timeout, CancellationTokenSource deadline, CancellationToken cancellationToken)
    {
        while (run.Result is null)
        {
            var read = await ReadAsync(deadline).ConfigureAwait(false);
            if (read is null)
            {
                return;
            }

            if (read.Value.Eof)
            {
                if (!_reader.AtFrameBoundary && !deadline.IsCancellationRequested)
                {
                    throw new RunnerProtocolException("the stream ended inside a frame");
                }

                return;
            }

            if (read.Value.IsStderr)
            {
                _diagnostics.Append(_buffer.AsSpan(0, read.Value.Count));
                continue;
            }

            _frames.Clear();
            _reader.Feed(_buffer.AsSpan(0, read.Value.Count), _frames);
            foreach (var frame in _frames)
            {
                await run.AcceptAsync(frame, () => deadline.CancelAfter(timeout), cancellationToken).ConfigureAwait(false);
                if (run.Result is not null)
                {
                    break;
                }
            }
        }
    }

    /// <summary>The next chunk (the parked read first), or null once the deadline has ended the stream.</summary>
    private async Task<Chunk?> ReadAsync(CancellationTokenSource deadline)
    {
        var pending = _pendingRead;
        _pendingRead = null;
        try
        {
            var read = await (pending ?? _stream.ReadOutputAsync(_buffer, 0, _buffer.Length, deadline.Token)).ConfigureAwait(false);
            return new Chunk(read.Count, read.EOF, read.Target == MultiplexedStream.TargetStream.StandardError);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The connection to the engine broke: the container is gone or the engine restarted.
            return new Chunk(0, Eof: true, IsStderr: false);
        }
    }

    /// <summary>One read from the attached stream: <see cref="Count"/> bytes in the buffer.</summary>
    private readonly record struct Chunk(int Count, bool Eof, bool IsStderr);

    private async Task<ExecutionResult> ResultOfVanishedRunnerAsync(SandboxRun run)
    {
        // The runner ended without a result: killed by the OOM killer or by the code itself.
        await _containers.WaitForExitAsync(Id, ExitWait).ConfigureAwait(false);
        var state = await InspectStateAsync().ConfigureAwait(false);
        LogRunnerVanished(Id, state?.ExitCode, state?.OOMKilled, _diagnostics.ToText());
        return run.ToResult(state is null ? null : (int)state.ExitCode, state?.OOMKilled == true);
    }

    private Task<State?> InspectStateAsync() => _containers.InspectStateAsync(Id);

    private Task KillAsync() => _containers.KillAsync(Id);

    public async ValueTask DisposeAsync()
    {
        if (_exitsOnItsOwn)
        {
            // The runner sent its result and exits right after: removing a container that has
            // stopped costs the engine less than killing a running one (no extra runtime call).
            await WaitForStreamEndAsync().ConfigureAwait(false);
        }

        _stream.Dispose();
        await _containers.RemoveAsync(Id).ConfigureAwait(false);
    }

    /// <summary>Reads (and drops) what is left on the stream until it ends, for a short while at most.</summary>
    private async Task WaitForStreamEndAsync()
    {
        try
        {
            // WaitAsync bounds the wait even if a read ignored cancellation; disposing the stream
            // afterwards ends such a read.
            await DrainToEndAsync().WaitAsync(ExitOnItsOwnWait).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or SocketException or ObjectDisposedException)
        {
            // Still running after the wait, or the connection is gone: the forced removal settles it.
        }
    }

    private async Task DrainToEndAsync()
    {
        while (!(await _stream.ReadOutputAsync(_buffer, 0, _buffer.Length, CancellationToken.None).ConfigureAwait(false)).EOF)
        {
            // Nothing after the result matters.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox {ContainerId}: the runner ended without a result (exit {ExitCode}, oom {OomKilled}). Runner stderr: {Diagnostics}")]
    private partial void LogRunnerVanished(string containerId, long? exitCode, bool? oomKilled, string diagnostics);
}
