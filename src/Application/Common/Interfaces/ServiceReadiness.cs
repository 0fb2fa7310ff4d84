namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Whether the service can run code: the engine answers and the executor image exists (written by the
/// start-up provisioning) and, when state is shared in PostgreSQL, the database answers (written by its
/// monitor). Read by the readiness probe and by every execution.
/// </summary>
public sealed class ServiceReadiness
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    private volatile Snapshot _current = new(false, "starting: the executor image has not been checked yet");
    private volatile string? _databaseProblem;
    private volatile string? _egressProblem;

    /// <summary>Everything the service needs answers.</summary>
    public bool IsReady => _current.Ready && _databaseProblem is null && _egressProblem is null;

    /// <summary>The engine answers and the executor image exists (whatever the database does).</summary>
    public bool IsEngineReady => _current.Ready;

    /// <summary>Why the service is not ready (null when ready); the database first, since it also stops files.</summary>
    public string? Reason => _databaseProblem ?? (_current.Ready ? _egressProblem : _current.Reason);

    /// <summary>Refuses until ready: 503 with Retry-After, saying the service is not ready to <paramref name="purpose"/> yet, and why.</summary>
    /// <exception cref="ServiceUnavailableException">Not ready.</exception>
    public void EnsureReady(string purpose)
    {
        if (Reason is { } reason)
        {
            throw new ServiceUnavailableException($"The service is not ready to {purpose} yet: {reason}", NotReadyRetryAfter);
        }
    }

    /// <summary>The engine answers and the executor image exists.</summary>
    public void MarkReady() => _current = new Snapshot(true, null);

    /// <summary>The engine or the executor image is not there, for <paramref name="reason"/>.</summary>
    public void MarkNotReady(string reason) => _current = new Snapshot(false, reason);

    /// <summary>The shared-state database answers (or there is none).</summary>
    public void MarkDatabaseAvailable() => _databaseProblem = null;

    /// <summary>The shared-state database does not answer, for <paramref name="reason"/> (naming it).</summary>
    public void MarkDatabaseUnavailable(string reason) => _databaseProblem = reason;

    /// <summary>The egress proxy runs (or egress is not enabled).</summary>
    public void MarkEgressAvailable() => _egressProblem = null;

    /// <summary>Egress is enabled and its proxy is not running, for <paramref name="reason"/>.</summary>
    public void MarkEgressUnavailable(string reason) => _egressProblem = reason;

    private sealed record Snapshot(bool Ready, string? Reason);
}
