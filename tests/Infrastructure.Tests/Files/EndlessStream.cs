namespace CodeInterpreter.Infrastructure.Tests.Files;

/// <summary>Zeros forever, counting what was read; or, given a limit, fails once that many bytes were read (a client that goes away).</summary>
internal sealed class EndlessStream(long failAfter = long.MaxValue) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (BytesRead >= failAfter)
        {
            throw new IOException("the client went away");
        }

        Array.Clear(buffer, offset, count);
        BytesRead += count;
        return count;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
