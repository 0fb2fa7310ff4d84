using System.Net.Sockets;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The service's end of one runner (PROTOCOL.md): the container's attached stream, its stdout cut
/// into frames checked against the limits in force, its stderr kept as the runner's diagnostics,
/// frames written to its stdin, and the container's kill and removal. Every wait for a frame has a
/// deadline of its own; a read still pending when it passes is kept for the next wait, so the stream
/// stays in step. Everything read is hostile. One caller at a time.
/// </summary>
internal sealed class RunnerConnection : IAsyncDisposable
{
    private const int ReadBufferBytes = (64 * 1024) + 5;
    private const int MaxDiagnosticsBytes = 16 * 1024;

    private readonly ContainerOperations _containers;
    private readonly MultiplexedStream _stream;
    private readonly RunnerFrameReader _reader = new(new RunnerFrameLimits());
    private readonly byte[] _buffer = new byte[ReadBufferBytes];
    private readonly OutputCapture _diagnostics = new(MaxDiagnosticsBytes);
    private readonly List<RunnerFrame> _frames = [];
    private Task<Chunk>? _pendingRead;
    private volatile bool _closed;

    private RunnerConnection(ContainerOperations containers, string containerId, MultiplexedStream stream)
    {
        _containers = containers;
        ContainerId = containerId;
        _stream = stream;
    }

    public string ContainerId { get; }

    /// <summary>The stream has ended (the container stopped, or the connection to the engine broke).</summary>
    public bool Ended { get; private set; }

    /// <summary>Nothing unread: no frame waiting, none begun.</summary>
    public bool AtFrameBoundary => _frames.Count == 0 && _reader.AtFrameBoundary;

    /// <summary>False once the stream has ended, also under a read kept pending (<see cref="ReadAhead"/>).</summary>
    public bool IsAlive => !Ended
        && (_pendingRead is not { IsCompleted: true } read || (read.IsCompletedSuccessfully && !read.Result.Eof));

    /// <summary>What the runner wrote on its stderr (bounded): its own failures, never the code's output.</summary>
    public string Diagnostics => _diagnostics.ToText();

    /// <summary>Creates, attaches and starts a container whose command is the runner.</summary>
    public static async Task<RunnerConnection> StartAsync(
        ContainerOperations containers, CreateContainerParameters parameters, string what, CancellationToken cancellationToken)
    {
        var (id, stream) = await containers.CreateAttachStartAsync(parameters, what, cancellationToken).ConfigureAwait(false);
        return new RunnerConnection(containers, id, stream);
    }

    /// <summary>Sets the frame bounds in force (a request that collects files widens them).</summary>
    public void Expect(RunnerFrameLimits limits) => _reader.Limits = limits;

    /// <summary>
    /// Starts the next read now and keeps it pending, so a runner that dies while it waits on its
    /// stdin is noticed at once (<see cref="IsAlive"/>); the next wait for a frame takes it over.
    /// </summary>
    public void ReadAhead() => _pendingRead ??= ReadChunkAsync();

    /// <summary>
    /// The next frame, or null when <paramref name="deadline"/> passes, the token is cancelled or the
    /// stream ends (<see cref="Ended"/>) first. A frame already read is returned even when the deadline
    /// has passed. A read still pending at the deadline is kept for the next wait.
    /// </summary>
    /// <exception cref="RunnerProtocolException">The bytes are not a valid frame stream.</exception>
    public async Task<RunnerFrame?> NextFrameAsync(RunnerDeadline deadline, CancellationToken cancellationToken)
    {
        while (_frames.Count == 0)
        {
            var wait = deadline.Remaining;
            if (Ended || wait <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var read = _pendingRead ??= ReadChunkAsync();
            if (!read.IsCompleted)
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(wait, stop.Token);
                var first = await Task.WhenAny(read, delay).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                if (first != read)
                {
                    return null;
                }
            }

            _pendingRead = null;
            var chunk = await read.ConfigureAwait(false);
            if (chunk.Eof)
            {
                Ended = true;
                return null;
            }

            if (chunk.IsStderr)
            {
                _diagnostics.Append(_buffer.AsSpan(0, chunk.Count));
                continue;
            }

            _reader.Feed(_buffer.AsSpan(0, chunk.Count), _frames);
        }

        var frame = _frames[0];
        _frames.RemoveAt(0);
        return frame;
    }

    /// <summary>The next frame within <paramref name="wait"/> (see the overload); a zero wait takes what is buffered without reading.</summary>
    public Task<RunnerFrame?> NextFrameAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        NextFrameAsync(new RunnerDeadline(wait), cancellationToken);

    /// <summary>Writes one frame to the runner's stdin.</summary>
    /// <exception cref="RunnerInputClosedException">The runner's stdin is closed.</exception>
    public async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBroken(ex))
        {
            throw new RunnerInputClosedException(ex);
        }
    }

    /// <summary>Closes the runner's stdin: it reads EOF after what was written.</summary>
    /// <exception cref="RunnerInputClosedException">The runner's stdin is closed already.</exception>
    public void CloseInput()
    {
        try
        {
            _stream.CloseWrite();
        }
        catch (Exception ex) when (IsBroken(ex))
        {
            throw new RunnerInputClosedException(ex);
        }
    }

    /// <summary>
    /// Closes the stream, then kills the container (<see cref="ContainerOperations.KillAsync(string, MultiplexedStream)"/>
    /// says why in that order); a wait for a frame in progress ends at once.
    /// </summary>
    public Task KillAsync()
    {
        _closed = true;
        return _containers.KillAsync(ContainerId, _stream);
    }

    /// <summary>Reads (and drops) what is left on the stream until it ends, for <paramref name="wait"/> at most.</summary>
    public async Task DrainAsync(TimeSpan wait)
    {
        try
        {
            // WaitAsync bounds the wait even if a read ignored cancellation; disposing the stream
            // afterwards ends such a read.
            await DrainToEndAsync().WaitAsync(wait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still running after the wait: the forced removal settles it.
        }
    }

    private async Task DrainToEndAsync()
    {
        var read = _pendingRead ?? ReadChunkAsync();
        _pendingRead = null;
        while (!(await read.ConfigureAwait(false)).Eof)
        {
            read = ReadChunkAsync();
        }

        Ended = true;
    }

    /// <summary>Closes the stream and force-removes the container.</summary>
    public async ValueTask DisposeAsync()
    {
        Close();
        await _containers.RemoveAsync(ContainerId).ConfigureAwait(false);
    }

    /// <summary>Closes the stream: a read still pending ends as the stream's end (ReadChunkAsync never throws), writes fail.</summary>
    private void Close()
    {
        _closed = true;
        _stream.Dispose();
    }

    private async Task<Chunk> ReadChunkAsync()
    {
        try
        {
            var read = await _stream.ReadOutputAsync(_buffer, 0, _buffer.Length, CancellationToken.None).ConfigureAwait(false);
            return new Chunk(read.Count, read.EOF, read.Target == MultiplexedStream.TargetStream.StandardError);
        }
        catch (Exception ex) when (IsBroken(ex) || ex is OperationCanceledException || _closed)
        {
            // The connection to the engine broke (the container is gone or the engine restarted), or it was closed here.
            return new Chunk(0, Eof: true, IsStderr: false);
        }
    }

    private static bool IsBroken(Exception ex) => ex is IOException or SocketException or ObjectDisposedException;

    /// <summary>One read from the attached stream: <see cref="Count"/> bytes in the buffer.</summary>
    private readonly record struct Chunk(int Count, bool Eof, bool IsStderr);
}
