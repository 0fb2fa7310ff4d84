namespace CodeInterpreter.Application.Sessions;

/// <summary>
/// Where a call to session <see cref="SessionId"/> is to be served: here, or on the replica that holds
/// its sandbox (a call reaching another replica behind a load balancer is forwarded there).
/// </summary>
public sealed record LocateSessionQuery(string SessionId) : IQuery<SessionRoute>;

/// <summary>Where a session call goes.</summary>
/// <param name="OwnerReplicaId">The replica holding the session's sandbox, when it is another one.</param>
/// <param name="OwnerUrl">That replica's internal address (REPLICA_URL); null = serve the call here.</param>
public sealed record SessionRoute(string? OwnerReplicaId, Uri? OwnerUrl)
{
    /// <summary>Served here: the session is this replica's, unknown, another caller's, or already lost.</summary>
    public static SessionRoute Here { get; } = new(null, null);

    /// <summary>The call goes to <see cref="OwnerUrl"/>.</summary>
    public bool IsRemote => OwnerUrl is not null && OwnerReplicaId is not null;

    /// <summary>The 410 a call to session <paramref name="sessionId"/> answers once its owner is found gone.</summary>
    public GoneException OwnerGone(string sessionId) => SessionErrors.Lost(sessionId, OwnerReplicaId ?? "unknown");
}

/// <remarks>
/// Everything that is not plainly another live replica's session of this caller is served here, where
/// the session use cases answer 404 (unknown, or another caller's: never revealed by forwarding) or
/// 410 (lost) exactly as for a direct call.
/// </remarks>
public sealed class LocateSessionHandler(ISessionDirectory directory) : IQueryHandler<LocateSessionQuery, SessionRoute>
{
    public async ValueTask<SessionRoute> Handle(LocateSessionQuery query, CancellationToken cancellationToken)
    {
        var entry = await directory.FindAsync(query.SessionId, cancellationToken).ConfigureAwait(false);
        if (entry is null
            || entry.LostAt is not null
            || string.Equals(entry.ReplicaId, directory.LocalReplicaId, StringComparison.Ordinal)
            || !string.Equals(entry.Owner, CallerContext.Owner, StringComparison.Ordinal)
            || !Uri.TryCreate(entry.ReplicaUrl, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return SessionRoute.Here;
        }

        return new SessionRoute(entry.ReplicaId, url);
    }
}

/// <summary>Whether replica <see cref="ReplicaId"/> still sends its heartbeat (within REPLICA_TIMEOUT_SEC).</summary>
public sealed record IsReplicaAliveQuery(string ReplicaId) : IQuery<bool>;

public sealed class IsReplicaAliveHandler(ISessionDirectory directory) : IQueryHandler<IsReplicaAliveQuery, bool>
{
    public async ValueTask<bool> Handle(IsReplicaAliveQuery query, CancellationToken cancellationToken) =>
        await directory.IsReplicaAliveAsync(query.ReplicaId, cancellationToken).ConfigureAwait(false);
}
