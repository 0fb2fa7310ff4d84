using Npgsql;

namespace CodeInterpreter.Infrastructure.Files;

/// <summary>
/// A stored file's content read from its chunk rows as they arrive (one query, sequential access), so a
/// download holds one chunk at most. Owns the connection, command and reader: disposing it ends all three,
/// once.
/// <para>
/// Once only, because Npgsql reuses a connection's reader and command objects: after the connection is
/// back in the pool, the same objects serve the next command of whoever rents it. Disposing them a second
/// time (as <see cref="Stream.DisposeAsync"/> does through <see cref="Dispose(bool)"/>) closed another
/// request's reader mid-result and left two requests on one connection ("A command is already in
/// progress", a file's bytes read as protocol messages): a download could break another download.
/// </para>
/// </summary>
internal sealed class ChunkedContentStream(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : Stream
{
    private Stream? _chunk;
    private bool _disposed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_chunk is null)
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                _chunk = reader.GetStream(0);
            }

            var read = await _chunk.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                return read;
            }

            await _chunk.DisposeAsync().ConfigureAwait(false);
            _chunk = null;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_chunk is not null)
        {
            await _chunk.DisposeAsync().ConfigureAwait(false);
            _chunk = null;
        }

        await reader.DisposeAsync().ConfigureAwait(false);
        await command.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false); // Dispose(true): nothing left to dispose there
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _chunk?.Dispose();
            _chunk = null;
            reader.Dispose();
            command.Dispose();
            connection.Dispose();
        }

        base.Dispose(disposing);
    }
}
