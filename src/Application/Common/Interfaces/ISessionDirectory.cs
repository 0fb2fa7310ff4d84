namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Where each open session lives, for every replica to read: which replica holds its sandbox (and at
/// what internal address), and whether that replica is gone (the session is then lost). The session's
/// sandbox itself stays with <see cref="ISessionProvider"/> on the replica that opened it.
/// </summary>
public interface ISessionDirectory
{
    /// <summary>Records a session just opened on this replica.</summary>
    Task RegisterAsync(SessionLocation session, CancellationToken cancellationToken);

    /// <summary>The session's entry (whoever owns it), or null when it is unknown, closed or long expired.</summary>
    Task<SessionLocation?> FindAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Removes the entry of a session closed on this replica.</summary>
    Task ForgetAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>This replica's id, as the entries of the sessions it opens name it.</summary>
    string LocalReplicaId { get; }

    /// <summary>
    /// Whether <paramref name="replicaId"/> has sent a heartbeat within REPLICA_TIMEOUT_SEC (the
    /// embedded directory has only this replica, which lives).
    /// </summary>
    Task<bool> IsReplicaAliveAsync(string replicaId, CancellationToken cancellationToken);
}

/// <summary>One session's entry in the <see cref="ISessionDirectory"/>.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Owner">The API key owner that opened it (null without API keys).</param>
/// <param name="ReplicaId">The replica holding its sandbox.</param>
/// <param name="ReplicaUrl">That replica's internal address, when it has one configured.</param>
/// <param name="ContainerId">Its sandbox's container.</param>
/// <param name="ExpiresAt">When it closes by itself.</param>
public sealed record SessionLocation(
    string SessionId, string? Owner, string ReplicaId, string? ReplicaUrl, string ContainerId, DateTimeOffset ExpiresAt)
{
    /// <summary>When its replica was found gone (no heartbeat); null while that replica lives.</summary>
    public DateTimeOffset? LostAt { get; init; }
}
