namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// A multipart part's body that reports a broken body (ends before its boundary, lines too long) as
/// a 400 <see cref="BadHttpRequestException"/> instead of an I/O failure of the service.
/// </summary>
internal sealed class MultipartContentStream(Stream inner) : ReadOnlyStream
{
    /// <summary>Errors of the multipart parser, as opposed to the server's own or a cancelled request.</summary>
    internal static bool IsMalformedBody(Exception ex) =>
        ex is InvalidDataException || (ex is IOException && ex is not BadHttpRequestException);

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (Exception ex) when (IsMalformedBody(ex))
        {
            throw MultipartFileReader.Malformed(ex.Message, ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsMalformedBody(ex))
        {
            throw MultipartFileReader.Malformed(ex.Message, ex);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
