using System.Collections.Concurrent;
using CodeInterpreter.Infrastructure.Postgres;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The embedded session directory: this one process holds every session, so an entry lives exactly as
/// long as its session here (and no session is ever lost to another replica's death).
/// </summary>
internal sealed class InMemorySessionDirectory(ReplicaIdentity replica) : ISessionDirectory
{
    private readonly ConcurrentDictionary<string, SessionLocation> _entries = new(StringComparer.Ordinal);

    public Task RegisterAsync(SessionLocation session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        _entries[session.SessionId] = session;
        return Task.CompletedTask;
    }

    public Task<SessionLocation?> FindAsync(string sessionId, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryGetValue(sessionId, out var entry) ? entry : null);

    public Task ForgetAsync(string sessionId, CancellationToken cancellationToken)
    {
        _entries.TryRemove(sessionId, out _);
        return Task.CompletedTask;
    }

    public string LocalReplicaId => replica.Id;

    public Task<bool> IsReplicaAliveAsync(string replicaId, CancellationToken cancellationToken) =>
        Task.FromResult(string.Equals(replicaId, replica.Id, StringComparison.Ordinal));
}
