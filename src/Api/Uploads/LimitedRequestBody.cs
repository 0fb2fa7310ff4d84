namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// A request body that fails with <paramref name="tooLarge"/> once more than
/// <paramref name="maxBytes"/> have been read from it: the upload limit, enforced while the body
/// streams in, whatever part of the body the bytes belong to.
/// </summary>
internal sealed class LimitedRequestBody(Stream inner, long maxBytes, Func<Exception> tooLarge) : ReadOnlyStream
{
    private long _read;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Count(int read)
    {
        _read += read;
        return _read > maxBytes ? throw tooLarge() : read;
    }
}
