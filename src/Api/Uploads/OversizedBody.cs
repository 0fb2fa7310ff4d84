using CodeInterpreter.Application.Common.Exceptions;
using Microsoft.Net.Http.Headers;

namespace CodeInterpreter.Api.Uploads;

/// <summary>
/// How large an upload's body may be, and how much of a larger one is read and discarded before the
/// 413 goes out, so that clients which send the whole body before reading the answer can read it.
/// </summary>
/// <param name="MaxFileBytes">MAX_FILE_SIZE_MB in bytes.</param>
internal sealed record OversizedBody(long MaxFileBytes)
{
    // Room for the multipart framing and small fields around the file.
    private const long MultipartOverheadBytes = 1024 * 1024;
    private const int DiscardBufferBytes = 64 * 1024;

    /// <summary>The largest body an acceptable upload can have.</summary>
    public long MaxBodyBytes => MaxFileBytes + MultipartOverheadBytes;

    /// <summary>
    /// How much of an oversized body is read and discarded at most: twice the file limit. Beyond it
    /// the connection is closed, and a client still sending sees it fail.
    /// </summary>
    public long DrainBound => (2 * MaxFileBytes) + MultipartOverheadBytes;

    /// <summary>The 413, in the reference API's words.</summary>
    public PayloadTooLargeException TooLarge() => PayloadTooLargeException.ForFile(MaxFileBytes);

    /// <summary>
    /// Reads the rest of <paramref name="body"/> (the server's own request stream, not a wrapper that
    /// stops at the limit) and throws it away, unless the body is declared or turns out larger than
    /// <see cref="DrainBound"/>; then the answer says the connection closes.
    /// </summary>
    public async Task DrainAsync(HttpContext context, Stream body)
    {
        if (context.Request.ContentLength > DrainBound || !await TryDiscardAsync(body, context.RequestAborted).ConfigureAwait(false))
        {
            context.Response.Headers[HeaderNames.Connection] = "close";
        }
    }

    private async Task<bool> TryDiscardAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[DiscardBufferBytes];
        long discarded = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                discarded += read;
                if (discarded > DrainBound)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            // Over the server's limit (the drain bound) or the client went away: nothing left to read.
            return false;
        }
    }
}
