namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Whether the service can run code: the engine answers and the executor image exists. Written by the
/// start-up provisioning, read by the readiness probe and by every execution.
/// </summary>
public sealed class ServiceReadiness
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    private volatile Snapshot _current = new(false, "starting: the executor image has not been checked yet");

    public bool IsReady => _current.Ready;

    /// <summary>Why the service is not ready (null when ready).</summary>
    public string? Reason => _current.Ready ? null : _current.Reason;

    /// <summary>Refuses until ready: 503 with Retry-After, saying the service is not ready to <paramref name="purpose"/> yet, and why.</summary>
    /// <exception cref="ServiceUnavailableException">Not ready.</exception>
    public void EnsureReady(string purpose)
    {
        var current = _current;
        if (!current.Ready)
        {
            throw new ServiceUnavailableException($"The service is not ready to {purpose} yet: {current.Reason}", NotReadyRetryAfter);
        }
    }

    public void MarkReady() => _current = new Snapshot(true, null);

    public void MarkNotReady(string reason) => _current = new Snapshot(false, reason);

    private sealed record Snapshot(bool Ready, string? Reason);
}
