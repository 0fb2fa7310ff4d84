using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>A session directory a test fills by hand (e.g. with a lost session).</summary>
internal sealed class InMemorySessionDirectory : ISessionDirectory
{
    public Dictionary<string, SessionLocation> Entries { get; } = [];

    /// <summary>The replicas whose heartbeat is recent.</summary>
    public HashSet<string> AliveReplicas { get; } = ["this-replica"];

    public string LocalReplicaId => "this-replica";

    public Task RegisterAsync(SessionLocation session, CancellationToken cancellationToken)
    {
        Entries[session.SessionId] = session;
        return Task.CompletedTask;
    }

    public Task<SessionLocation?> FindAsync(string sessionId, CancellationToken cancellationToken) =>
        Task.FromResult(Entries.GetValueOrDefault(sessionId));

    public Task ForgetAsync(string sessionId, CancellationToken cancellationToken)
    {
        Entries.Remove(sessionId);
        return Task.CompletedTask;
    }

    public Task<bool> IsReplicaAliveAsync(string replicaId, CancellationToken cancellationToken) =>
        Task.FromResult(AliveReplicas.Contains(replicaId));
}
