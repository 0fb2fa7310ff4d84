namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>Who this process is among the replicas sharing a database: an id unique to this run of the service.</summary>
internal sealed class ReplicaIdentity
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
