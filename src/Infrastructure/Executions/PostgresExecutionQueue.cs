using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// The rows of <c>executions</c>, the durable queue every replica shares: each statement a job moves through,
/// from the submit (checked against MAX_CONCURRENT_EXECUTIONS_PER_KEY and MAX_RETAINED_EXECUTIONS in the
/// transaction that inserts it) over claims (<c>FOR UPDATE SKIP LOCKED</c>) and leases to the result. What
/// runs the rows is <see cref="PostgresExecutionJobs"/>.
/// </summary>
internal sealed partial class PostgresExecutionQueue(
    PostgresDatabase database,
    ReplicaIdentity replica,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    IOptions<ConcurrencyOptions> concurrencyOptions,
    TimeProvider clock,
    ILogger<PostgresExecutionQueue> logger)
{
    // Any fixed number shared by every replica; "ci-retain" in ASCII: submits take turns on MAX_RETAINED_EXECUTIONS.
    private const long RetainLockKey = 0x63692D726574616E;

    private const string Columns =
        "execution_id, owner, created_at, timeout_ms, status, started_at, finished_at, result, error";

    private int LeaseSeconds => databaseOptions.Value.ExecutionLeaseSec;

    /// <summary>What a row of a replica that stopped renewing its lease ends with.</summary>
    internal string LeaseExpiredError => string.Create(CultureInfo.InvariantCulture,
        $"the replica running this execution stopped (no heartbeat for {LeaseSeconds} s, EXECUTION_LEASE_SEC); it is not run again, since its code may have had side effects");

    /// <summary>
    /// Inserts the queued row in one transaction with its checks: the key's share (under the key's lock, so
    /// two submits of one key never both take its last place) and room among the kept rows (the oldest
    /// finished removed first, under a lock every replica's submits take).
    /// </summary>
    public Task EnqueueAsync(ExecutionJob job, QueuedExecution execution, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                var limit = concurrencyOptions.Value.MaxConcurrentExecutionsPerKey;
                if (ExecutionShare.Applies(execution.Owner, limit)
                    && !await PostgresExecutionShares.HasRoomAsync(connection, transaction, execution.Owner!, limit, cancellationToken).ConfigureAwait(false))
                {
                    throw ExecutionShare.Refusal(limit);
                }

                await MakeRoomAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO executions (execution_id, owner, created_at, timeout_ms, status, command) VALUES ($1, $2, $3, $4, 'queued', $5)",
                    connection, transaction);
                insert.Parameters.Add(SqlParameter.Text(job.Id));
                insert.Parameters.Add(SqlParameter.Text(execution.Owner));
                insert.Parameters.Add(SqlParameter.Time(job.CreatedAt));
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)job.Timeout.TotalMilliseconds });
                insert.Parameters.Add(SqlParameter.Json(JsonSerializer.Serialize(execution.Command, ExecutionJobJson.Options)));
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            },
            cancellationToken);

    /// <summary>Below MAX_RETAINED_EXECUTIONS by one, deleting the oldest finished rows; a 429 when only unfinished ones are kept.</summary>
    private async Task MakeRoomAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var retained = asyncOptions.Value.MaxRetained;
        await using (var turn = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({RetainLockKey})", connection, transaction))
        {
            await turn.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Statements after the lock: their snapshots include every submit committed before it.
        await using var evict = new NpgsqlCommand(
            "DELETE FROM executions WHERE execution_id IN (SELECT execution_id FROM executions WHERE finished_at IS NOT NULL "
            + "ORDER BY finished_at, execution_id LIMIT greatest(0, (SELECT count(*) FROM executions) - $1 + 1))",
            connection, transaction);
        evict.Parameters.Add(new NpgsqlParameter<int> { TypedValue = retained });
        var evicted = await evict.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM executions", connection, transaction);
        if ((long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! >= retained)
        {
            throw RetainedExecutions.Refusal(retained);
        }

        if (evicted > 0)
        {
            LogEvicted(evicted, retained);
        }
    }

    public Task<ExecutionJob?> FindAsync(string id, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand($"SELECT {Columns} FROM executions WHERE execution_id = $1", connection);
                command.Parameters.Add(SqlParameter.Text(id));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadJob(reader) : null;
            },
            cancellationToken);

    public Task<int> CountUnfinishedAsync(CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand("SELECT count(*) FROM executions WHERE status IN ('queued', 'running')", connection);
                return (int)(long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            },
            cancellationToken);

    /// <summary>Cancels the row if no replica claimed it yet (true); else marks it for its holder to kill (false).</summary>
    public Task<bool> CancelAsync(string id, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                // Not claimed by any replica yet: cancelled here and now.
                await using var queued = new NpgsqlCommand(
                    "UPDATE executions SET status = 'cancelled', error = 'cancelled by the client', finished_at = $2, cancel_requested = true "
                    + "WHERE execution_id = $1 AND status = 'queued' AND claimed_by IS NULL", connection);
                queued.Parameters.Add(SqlParameter.Text(id));
                queued.Parameters.Add(SqlParameter.Time(clock.GetUtcNow()));
                if (await queued.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    return true;
                }

                // Claimed: marked, and the replica holding it kills it at its next heartbeat.
                await using var claimed = new NpgsqlCommand(
                    "UPDATE executions SET cancel_requested = true WHERE execution_id = $1 AND status IN ('queued', 'running')", connection);
                claimed.Parameters.Add(SqlParameter.Text(id));
                await claimed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return false;
            },
            cancellationToken);

    /// <summary>The oldest queued row nobody holds, now held by this replica under a lease; null when none waits.</summary>
    public async Task<(ExecutionJob Job, QueuedExecution Execution)?> ClaimAsync(CancellationToken cancellationToken) =>
        await database.RunAsync<(ExecutionJob, QueuedExecution)?>(
            async connection =>
            {
                await using var claim = new NpgsqlCommand(
                    "UPDATE executions SET claimed_by = $1, lease_expires_at = now() + make_interval(secs => $2) "
                    + "WHERE execution_id = (SELECT execution_id FROM executions WHERE status = 'queued' AND claimed_by IS NULL "
                    + "ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                    + $"RETURNING {Columns}, command",
                    connection);
                claim.Parameters.Add(SqlParameter.Text(replica.Id));
                claim.Parameters.Add(new NpgsqlParameter<double> { TypedValue = LeaseSeconds });
                await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }

                var job = ReadJob(reader);
                var command = JsonSerializer.Deserialize<ExecuteCodeCommand>(reader.GetString(9), ExecutionJobJson.Options)
                    ?? throw new JsonException("the queued command is null");
                return (job, new QueuedExecution(command, job.Owner));
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>Renews the lease of every unfinished row this replica holds: their ids, each with whether a cancel was asked for.</summary>
    public Task<Dictionary<string, bool>> RenewAsync(CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var renew = new NpgsqlCommand(
                    "UPDATE executions SET lease_expires_at = now() + make_interval(secs => $2) "
                    + "WHERE claimed_by = $1 AND status IN ('queued', 'running') RETURNING execution_id, cancel_requested", connection);
                renew.Parameters.Add(SqlParameter.Text(replica.Id));
                renew.Parameters.Add(new NpgsqlParameter<double> { TypedValue = LeaseSeconds });
                var rows = new Dictionary<string, bool>(StringComparer.Ordinal);
                await using var reader = await renew.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows[reader.GetString(0)] = reader.GetBoolean(1);
                }

                return rows;
            },
            cancellationToken);

    /// <summary>Rows of replicas that stopped renewing: running ones fail, claimed ones not started go back to the queue.</summary>
    public Task<int> EndExpiredLeasesAsync(CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var failed = new NpgsqlCommand(
                    "UPDATE executions SET status = 'failed', error = $1, finished_at = now(), claimed_by = NULL, lease_expires_at = NULL "
                    + "WHERE claimed_by IS NOT NULL AND lease_expires_at < now() AND status = 'running' RETURNING execution_id", connection);
                failed.Parameters.Add(SqlParameter.Text(LeaseExpiredError));
                var ended = new List<string>();
                await using (var reader = await failed.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        ended.Add(reader.GetString(0));
                    }
                }

                await using var requeued = new NpgsqlCommand(
                    "UPDATE executions SET claimed_by = NULL, lease_expires_at = NULL "
                    + "WHERE claimed_by IS NOT NULL AND lease_expires_at < now() AND status = 'queued'", connection);
                var back = await requeued.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (ended.Count > 0 || back > 0)
                {
                    LogLeasesExpired(ended.Count, back, string.Join(", ", ended));
                }

                return ended.Count;
            },
            cancellationToken);

    /// <summary>Deletes the rows that finished more than EXECUTION_RESULT_TTL_SEC ago.</summary>
    public Task<int> DeleteExpiredAsync(CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var delete = new NpgsqlCommand("DELETE FROM executions WHERE finished_at < $1", connection);
                delete.Parameters.Add(SqlParameter.Time(clock.GetUtcNow() - TimeSpan.FromSeconds(asyncOptions.Value.ResultTtlSec)));
                var removed = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (removed > 0)
                {
                    LogExpired(removed);
                }

                return removed;
            },
            cancellationToken);

    /// <summary>The job's code started on this replica.</summary>
    public Task RecordStartedAsync(ExecutionJob job) => RecordAsync(
        "UPDATE executions SET status = 'running', started_at = $3 WHERE execution_id = $1 AND claimed_by = $2 AND status = 'queued'",
        job, [SqlParameter.Time(job.StartedAt ?? clock.GetUtcNow())]);

    /// <summary>This replica stops before the job's code started: back to the queue, for another replica to run.</summary>
    public Task HandBackAsync(ExecutionJob job) => RecordAsync(
        "UPDATE executions SET claimed_by = NULL, lease_expires_at = NULL WHERE execution_id = $1 AND claimed_by = $2 AND status = 'queued'",
        job, []);

    /// <summary>The job's outcome, written once, by the replica that holds it.</summary>
    public Task RecordFinishedAsync(ExecutionJob job) => RecordAsync(
        "UPDATE executions SET status = $3, result = $4, error = $5, finished_at = $6, claimed_by = NULL, lease_expires_at = NULL "
        + "WHERE execution_id = $1 AND claimed_by = $2 AND status IN ('queued', 'running')",
        job,
        [
            SqlParameter.Text(StatusName(job.Status)),
            SqlParameter.Json(job.Result is null ? null : JsonSerializer.Serialize(job.Result, ExecutionJobJson.Options)),
            SqlParameter.Text(job.Error),
            SqlParameter.Time(job.FinishedAt ?? clock.GetUtcNow()),
        ]);

    /// <summary>Writes a run's progress; a failure is logged (the lease then decides), never thrown into the run.</summary>
    private async Task RecordAsync(string sql, ExecutionJob job, NpgsqlParameter[] more)
    {
        try
        {
            await database.RunAsync(
                async connection =>
                {
                    await using var command = new NpgsqlCommand(sql, connection);
                    command.Parameters.Add(SqlParameter.Text(job.Id));
                    command.Parameters.Add(SqlParameter.Text(replica.Id));
                    command.Parameters.AddRange(more);
                    return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogRecordFailed(ex, job.Id, StatusName(job.Status));
        }
    }

    private static ExecutionJob ReadJob(NpgsqlDataReader reader) => ExecutionJob.Restore(
        reader.GetString(0),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.IsDBNull(1) ? null : reader.GetString(1),
        TimeSpan.FromMilliseconds(reader.GetInt32(3)),
        ParseStatus(reader.GetString(4)),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<ExecutionResult>(reader.GetString(7), ExecutionJobJson.Options),
        reader.IsDBNull(8) ? null : reader.GetString(8));

    internal static string StatusName(ExecutionJobStatus status) => status switch
    {
        ExecutionJobStatus.Queued => "queued",
        ExecutionJobStatus.Running => "running",
        ExecutionJobStatus.Completed => "completed",
        ExecutionJobStatus.Failed => "failed",
        ExecutionJobStatus.Cancelled => "cancelled",
        ExecutionJobStatus.TimedOut => "timed_out",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static ExecutionJobStatus ParseStatus(string name) => name switch
    {
        "queued" => ExecutionJobStatus.Queued,
        "running" => ExecutionJobStatus.Running,
        "completed" => ExecutionJobStatus.Completed,
        "failed" => ExecutionJobStatus.Failed,
        "cancelled" => ExecutionJobStatus.Cancelled,
        "timed_out" => ExecutionJobStatus.TimedOut,
        _ => throw new InvalidDataException($"unknown execution status '{name}' in the database"),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leases expired: {Failed} running execution(s) of stopped replicas failed ({Ids}), {Requeued} claimed one(s) back in the queue")]
    private partial void LogLeasesExpired(int failed, int requeued, string ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} expired execution result(s)")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the {Count} oldest finished execution result(s) to keep at most {Retained} (MAX_RETAINED_EXECUTIONS)")]
    private partial void LogEvicted(int count, int retained);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record execution {ExecutionId} as {Status}; its lease decides")]
    private partial void LogRecordFailed(Exception ex, string executionId, string status);
}
