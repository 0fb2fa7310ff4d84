namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>
/// Who this process is among the replicas sharing a database: an id unique to this run of the service,
/// starting with REPLICA_ID. A replica restarted under the same name is a new replica: the sessions of
/// the one before died with its sandboxes, and its heartbeat must not keep them alive.
/// </summary>
internal sealed class ReplicaIdentity(IOptions<ReplicaOptions> options)
{
    public string Id { get; } = $"{options.Value.ReplicaId}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
