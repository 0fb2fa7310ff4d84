using System.Collections.Concurrent;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The open sessions of this service instance, and the MAX_SESSIONS cap: a place is reserved before a
/// sandbox is started and given back only once the session's sandbox has been removed, so the cap
/// bounds containers, not entries.
/// </summary>
internal sealed class SessionRegistry(IOptions<SessionOptions> options, TimeProvider time)
{
    private static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, OpenSession> _open = new(StringComparer.Ordinal);
    private int _places;

    public int Capacity => options.Value.MaxSessions;

    /// <summary>Sessions being opened, open, or being closed.</summary>
    public int Places => Volatile.Read(ref _places);

    /// <summary>Takes a place for a new session; false when MAX_SESSIONS are taken.</summary>
    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _places) <= Capacity)
        {
            return true;
        }

        Interlocked.Decrement(ref _places);
        return false;
    }

    /// <summary>Gives a place back (a session failed to open, or its sandbox is removed).</summary>
    public void Release() => Interlocked.Decrement(ref _places);

    /// <summary>Adds an opened session, on the place reserved for it.</summary>
    public void Add(OpenSession session) => _open[session.Id] = session;

    /// <summary>
    /// The session if it is open, not past its expiry and <paramref name="owner"/>'s; null otherwise
    /// (another caller's session is unknown, exactly like one that does not exist).
    /// </summary>
    public OpenSession? Find(string sessionId, string? owner) =>
        _open.TryGetValue(sessionId, out var session) && !session.IsClosed && session.ExpiresAt > time.GetUtcNow()
        && string.Equals(session.Owner, owner, StringComparison.Ordinal)
            ? session
            : null;

    /// <summary>Takes the session out; only one caller wins (it then closes the session).</summary>
    public bool TryRemove(string sessionId, out OpenSession? session) => _open.TryRemove(sessionId, out session);

    public IReadOnlyList<OpenSession> Expired() =>
        [.. _open.Values.Where(s => s.ExpiresAt <= time.GetUtcNow())];

    public IReadOnlyList<OpenSession> All() => [.. _open.Values];

    /// <summary>When a place is likely to free up: the next expiry, within sensible bounds.</summary>
    public TimeSpan RetryAfter()
    {
        var next = _open.Values.Select(s => s.ExpiresAt).DefaultIfEmpty(time.GetUtcNow()).Min() - time.GetUtcNow();
        return next < MinRetryAfter ? MinRetryAfter : next > MaxRetryAfter ? MaxRetryAfter : next;
    }
}
