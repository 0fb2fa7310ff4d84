namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>A session in the registry: its sandbox, its expiry, its owner, and the gate that runs its calls one at a time.</summary>
internal sealed class OpenSession(string id, SessionContainer container, DateTimeOffset expiresAt, string? owner)
{
    private int _closed;

    public string Id { get; } = id;

    public SessionContainer Container { get; } = container;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>The API key's owner that opened it (null without API_KEYS); no other caller can use it.</summary>
    public string? Owner { get; } = owner;

    /// <summary>Held by the call in progress (execute, shell, the close's removal). Never disposed: a closed session's waiters still pass it.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Set (before the sandbox is killed) by whoever closes the session.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) == 1;

    public void MarkClosed() => Volatile.Write(ref _closed, 1);

    /// <summary>The sandbox's address registered with the egress proxy; null without network.</summary>
    public string? EgressAddress { get; init; }

    /// <summary>The session's own network shared with the egress proxy, removed after the sandbox; null without egress.</summary>
    public Egress.EgressAttachment? EgressAttachment { get; init; }
}
