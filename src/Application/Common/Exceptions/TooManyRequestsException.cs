namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>Every execution slot is busy and the queue is full (answered 429 with Retry-After).</summary>
public sealed class TooManyRequestsException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
