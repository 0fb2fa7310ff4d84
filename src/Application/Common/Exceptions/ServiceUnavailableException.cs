namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>The service cannot run code right now (answered 503 with Retry-After).</summary>
public sealed class ServiceUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null)
    : Exception(message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
