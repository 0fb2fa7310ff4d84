using System.Collections.Concurrent;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// MAX_CONCURRENT_EXECUTIONS_PER_KEY across replicas: a key's running or queued executions are its queued
/// and running rows of <c>executions</c> (background) plus its rows of <c>execution_calls</c> (calls running
/// on some replica). A call inserts its row and deletes it when it ends; the row carries a lease this replica
/// renews with the background worker's heartbeat, so a replica that dies gives its calls' places back
/// EXECUTION_LEASE_SEC later. Every check of a key runs under that key's transaction-scoped advisory lock,
/// so two requests of one key, on any replicas, never both take its last place.
/// </summary>
internal sealed partial class PostgresExecutionShares(
    PostgresDatabase database,
    ReplicaIdentity replica,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<ConcurrencyOptions> concurrencyOptions,
    ILogger<PostgresExecutionShares> logger) : IExecutionShares
{
    private static readonly IAsyncDisposable Uncounted = new NoPlace();

    // Calls of this replica whose rows it keeps alive: id -> owner.
    private readonly ConcurrentDictionary<string, string> _calls = new(StringComparer.Ordinal);

    private int LeaseSeconds => databaseOptions.Value.ExecutionLeaseSec;

    public async Task<IAsyncDisposable> EnterAsync(string? owner, CancellationToken cancellationToken)
    {
        var limit = concurrencyOptions.Value.MaxConcurrentExecutionsPerKey;
        if (!ExecutionShare.Applies(owner, limit))
        {
            return Uncounted;
        }

        var id = Guid.NewGuid().ToString("N");
        await database.RunAsync(
            async connection =>
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (!await HasRoomAsync(connection, transaction, owner!, limit, cancellationToken).ConfigureAwait(false))
                {
                    throw ExecutionShare.Refusal(limit);
                }

                await using var insert = new NpgsqlCommand(
                    "INSERT INTO execution_calls (call_id, owner, replica_id, lease_expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
                    connection, transaction);
                insert.Parameters.Add(SqlParameter.Text(id));
                insert.Parameters.Add(SqlParameter.Text(owner));
                insert.Parameters.Add(SqlParameter.Text(replica.Id));
                insert.Parameters.Add(new NpgsqlParameter<double> { TypedValue = LeaseSeconds });
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        _calls[id] = owner!;
        return new Place(this, id);
    }

    /// <summary>
    /// Takes <paramref name="owner"/>'s lock (until <paramref name="transaction"/> ends) and tells whether the
    /// key has fewer than <paramref name="limit"/> executions queued or running, background or calls.
    /// </summary>
    public static async Task<bool> HasRoomAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string owner, int limit, CancellationToken cancellationToken)
    {
        await using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('ci-key:' || $1, 0))", connection, transaction))
        {
            turn.Parameters.Add(SqlParameter.Text(owner));
            await turn.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // A statement of its own after the lock, so its snapshot includes what the key's last holder committed.
        await using var count = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM executions WHERE owner = $1 AND status IN ('queued', 'running')) "
            + "+ (SELECT count(*) FROM execution_calls WHERE owner = $1 AND lease_expires_at > now())",
            connection, transaction);
        count.Parameters.Add(SqlParameter.Text(owner));
        return (long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! < limit;
    }

    /// <summary>Renews the leases of this replica's running calls and deletes every replica's expired ones; the background worker's heartbeat.</summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        if (concurrencyOptions.Value.MaxConcurrentExecutionsPerKey == 0)
        {
            return;
        }

        await database.RunAsync(
            async connection =>
            {
                await using var batch = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("UPDATE execution_calls SET lease_expires_at = now() + make_interval(secs => $2) WHERE call_id = ANY($1)")
                        {
                            Parameters =
                            {
                                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = _calls.Keys.ToArray() },
                                new NpgsqlParameter<double> { TypedValue = LeaseSeconds },
                            },
                        },
                        new NpgsqlBatchCommand("DELETE FROM execution_calls WHERE lease_expires_at < now()"),
                    },
                };
                return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task LeaveAsync(string id)
    {
        _calls.TryRemove(id, out _);
        try
        {
            await database.RunAsync(
                async connection =>
                {
                    await using var delete = new NpgsqlCommand("DELETE FROM execution_calls WHERE call_id = $1", connection);
                    delete.Parameters.Add(SqlParameter.Text(id));
                    return await delete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // No longer renewed: the lease gives the place back.
            LogLeaveFailed(ex, id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the row of finished call {CallId}; its lease frees the key's place")]
    private partial void LogLeaveFailed(Exception ex, string callId);

    private sealed class Place(PostgresExecutionShares shares, string id) : IAsyncDisposable
    {
        private int _left;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                await shares.LeaveAsync(id).ConfigureAwait(false);
            }
        }
    }

    private sealed class NoPlace : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
