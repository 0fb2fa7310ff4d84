using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>Where shared state lives: unset = the embedded single-machine store; set = PostgreSQL.</summary>
public sealed class DatabaseOptions
{
    /// <summary>
    /// <c>postgres://user:password@host:port/database</c> or an Npgsql connection string; holds a
    /// password, so it is never logged or echoed (<see cref="DatabaseConnection.Describe"/> is).
    /// </summary>
    [ConfigurationKeyName("DATABASE_URL")]
    public string? DatabaseUrl { get; set; }

    /// <summary>
    /// How long a replica's claim on a background execution lasts without a heartbeat (sent every
    /// second), in seconds: a replica that dies leaves its running executions failed this long after.
    /// </summary>
    [ConfigurationKeyName("EXECUTION_LEASE_SEC")]
    public int ExecutionLeaseSec { get; set; } = 30;

    /// <summary>
    /// How long a replica may go without a heartbeat (sent every 2 s) before the others count it gone
    /// and its sessions lost, in seconds.
    /// </summary>
    [ConfigurationKeyName("REPLICA_TIMEOUT_SEC")]
    public int ReplicaTimeoutSec { get; set; } = 15;

    /// <summary>This replica's address as the other replicas reach it (recorded with its sessions); optional.</summary>
    [ConfigurationKeyName("REPLICA_URL")]
    public string? ReplicaUrl { get; set; }

    /// <summary>State is shared in PostgreSQL.</summary>
    public bool UsesPostgres => !string.IsNullOrWhiteSpace(DatabaseUrl);
}
