namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>Content larger than the server accepts (answered 413).</summary>
public sealed class PayloadTooLargeException(string message, long maxBytes) : Exception(message)
{
    private const long BytesPerMb = 1024 * 1024;

    /// <summary>The limit that was exceeded, in bytes.</summary>
    public long MaxBytes { get; } = maxBytes;

    /// <summary>An upload over <paramref name="maxBytes"/>, in the reference API's words.</summary>
    public static PayloadTooLargeException ForFile(long maxBytes) => new(
        maxBytes % BytesPerMb == 0
            ? $"File size exceeds maximum of {maxBytes / BytesPerMb} MB"
            : $"File size exceeds maximum of {maxBytes} bytes",
        maxBytes);
}
