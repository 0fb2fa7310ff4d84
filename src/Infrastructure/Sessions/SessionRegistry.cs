using System.Collections.Concurrent;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The open sessions of this service instance, and the MAX_SESSIONS and MAX_SESSIONS_PER_KEY caps: a
/// place is reserved before a sandbox is started and given back only once the session's sandbox has
/// been removed, so the caps bound containers, not entries.
/// </summary>
internal sealed class SessionRegistry(IOptions<SessionOptions> options, TimeProvider time)
{
    private static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, OpenSession> _open = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _ownerPlaces = new(StringComparer.Ordinal);
    private int _places;

    public int Capacity => options.Value.MaxSessions;

    /// <summary>MAX_SESSIONS_PER_KEY; 0 = none.</summary>
    public int CapacityPerOwner => options.Value.MaxSessionsPerKey;

    /// <summary>Sessions being opened, open, or being closed.</summary>
    public int Places => Volatile.Read(ref _places);

    /// <summary>Takes a place for a new session of <paramref name="owner"/> (null: no API keys).</summary>
    public SessionReservation TryReserve(string? owner)
    {
        lock (_gate)
        {
            if (_places >= Capacity)
            {
                return SessionReservation.ServiceFull;
            }

            var owned = owner is null ? 0 : _ownerPlaces.GetValueOrDefault(owner);
            if (owner is not null && CapacityPerOwner > 0 && owned >= CapacityPerOwner)
            {
                return SessionReservation.OwnerFull;
            }

            Volatile.Write(ref _places, _places + 1);
            if (owner is not null)
            {
                _ownerPlaces[owner] = owned + 1;
            }

            return SessionReservation.Reserved;
        }
    }

    /// <summary>Gives <paramref name="owner"/>'s place back (a session failed to open, or its sandbox is removed).</summary>
    public void Release(string? owner)
    {
        lock (_gate)
        {
            Volatile.Write(ref _places, _places - 1);
            if (owner is not null && _ownerPlaces.TryGetValue(owner, out var owned))
            {
                if (owned <= 1)
                {
                    _ownerPlaces.Remove(owner);
                }
                else
                {
                    _ownerPlaces[owner] = owned - 1;
                }
            }
        }
    }

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

    /// <summary>
    /// When a place is likely to free up: the next expiry (of <paramref name="owner"/>'s sessions when
    /// given), within sensible bounds.
    /// </summary>
    public TimeSpan RetryAfter(string? owner = null)
    {
        var next = _open.Values
            .Where(s => owner is null || string.Equals(s.Owner, owner, StringComparison.Ordinal))
            .Select(s => s.ExpiresAt).DefaultIfEmpty(time.GetUtcNow()).Min() - time.GetUtcNow();
        return next < MinRetryAfter ? MinRetryAfter : next > MaxRetryAfter ? MaxRetryAfter : next;
    }
}

/// <summary>What <see cref="SessionRegistry.TryReserve"/> found.</summary>
internal enum SessionReservation
{
    /// <summary>A place is taken for the new session.</summary>
    Reserved,

    /// <summary>MAX_SESSIONS are taken.</summary>
    ServiceFull,

    /// <summary>The caller's key has MAX_SESSIONS_PER_KEY open.</summary>
    OwnerFull,
}
