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

    /// <summary>State is shared in PostgreSQL.</summary>
    public bool UsesPostgres => !string.IsNullOrWhiteSpace(DatabaseUrl);
}
