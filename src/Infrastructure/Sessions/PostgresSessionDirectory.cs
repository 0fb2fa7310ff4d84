using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The shared session directory: a <c>sessions</c> row per open session, naming the replica that holds
/// its sandbox. <see cref="ReplicaHeartbeat"/> marks the rows of a replica that stopped heart-beating
/// lost; rows are deleted when their session closes, or an hour after it would have expired.
/// </summary>
internal sealed class PostgresSessionDirectory(PostgresDatabase database, ReplicaIdentity replica, IOptions<DatabaseOptions> options)
    : ISessionDirectory
{
    public Task RegisterAsync(SessionLocation session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return database.RunAsync(
            async connection =>
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO sessions (session_id, owner, replica_id, replica_url, container_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    connection);
                insert.Parameters.Add(SqlParameter.Text(session.SessionId));
                insert.Parameters.Add(SqlParameter.Text(session.Owner));
                insert.Parameters.Add(SqlParameter.Text(session.ReplicaId));
                insert.Parameters.Add(SqlParameter.Text(session.ReplicaUrl));
                insert.Parameters.Add(SqlParameter.Text(session.ContainerId));
                insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = session.ExpiresAt.ToUniversalTime() });
                return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<SessionLocation?> FindAsync(string sessionId, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var select = new NpgsqlCommand(
                    "SELECT session_id, owner, replica_id, replica_url, container_id, expires_at, lost_at FROM sessions WHERE session_id = $1",
                    connection);
                select.Parameters.Add(SqlParameter.Text(sessionId));
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                return new SessionLocation(
                    reader.GetString(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5))
                {
                    LostAt = reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                };
            },
            cancellationToken);

    public Task ForgetAsync(string sessionId, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var delete = new NpgsqlCommand("DELETE FROM sessions WHERE session_id = $1", connection);
                delete.Parameters.Add(SqlParameter.Text(sessionId));
                return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    public string LocalReplicaId => replica.Id;

    public Task<bool> IsReplicaAliveAsync(string replicaId, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var select = new NpgsqlCommand(
                    "SELECT EXISTS (SELECT 1 FROM replicas WHERE replica_id = $1 AND last_seen >= now() - make_interval(secs => $2))",
                    connection);
                select.Parameters.Add(SqlParameter.Text(replicaId));
                select.Parameters.Add(new NpgsqlParameter<double> { TypedValue = options.Value.ReplicaTimeoutSec });
                return (bool)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            },
            cancellationToken);
}
