using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Postgres;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// Background executions as a durable queue in PostgreSQL (<c>executions</c>), shared by every replica.
/// A submit inserts a queued row. Each replica's worker claims queued rows (<c>FOR UPDATE SKIP LOCKED</c>,
/// at most MAX_CONCURRENT_EXECUTIONS at once), runs them through the Application's
/// <see cref="IQueuedExecutionRunner"/> and stores the outcome. Every second it renews the lease of
/// what it holds and learns which of them were cancelled (from any replica), killing their sandboxes. A
/// replica that stops renewing leaves its rows to the others: a running one ends failed (never run
/// twice: code may have side effects), a claimed one that had not started goes back to the queue.
/// Finished rows are deleted EXECUTION_RESULT_TTL_SEC after they finished.
/// </summary>
internal sealed partial class PostgresExecutionJobs(
    PostgresDatabase database,
    IQueuedExecutionRunner runner,
    ReplicaIdentity replica,
    ServiceReadiness readiness,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    IOptions<ConcurrencyOptions> concurrencyOptions,
    TimeProvider clock,
    ILogger<PostgresExecutionJobs> logger) : BackgroundService, IExecutionJobs, IExecutionJobEvents
{
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private const string Columns =
        "execution_id, owner, created_at, timeout_ms, status, started_at, finished_at, result, error";

    private readonly ConcurrentDictionary<string, LocalRun> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0);

    private int LeaseSeconds => databaseOptions.Value.ExecutionLeaseSec;

    /// <summary>What a row of a replica that stopped renewing its lease ends with.</summary>
    internal string LeaseExpiredError => string.Create(CultureInfo.InvariantCulture,
        $"the replica running this execution stopped (no heartbeat for {LeaseSeconds} s, EXECUTION_LEASE_SEC); it is not run again, since its code may have had side effects");

    public async Task EnqueueAsync(ExecutionJob job, QueuedExecution execution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(execution);
        await database.RunAsync(
            async connection =>
            {
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO executions (execution_id, owner, created_at, timeout_ms, status, command) VALUES ($1, $2, $3, $4, 'queued', $5)",
                    connection);
                insert.Parameters.Add(SqlParameter.Text(job.Id));
                insert.Parameters.Add(SqlParameter.Text(execution.Owner));
                insert.Parameters.Add(SqlParameter.Time(job.CreatedAt));
                insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (int)job.Timeout.TotalMilliseconds });
                insert.Parameters.Add(SqlParameter.Json(JsonSerializer.Serialize(execution.Command, ExecutionJobJson.Options)));
                return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        // This replica's worker looks at once; the others within their poll interval.
        _wake.Release();
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

    public async Task<ExecutionJob> CancelAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var cancelledWhileWaiting = await database.RunAsync(
            async connection =>
            {
                // Not claimed by any replica yet: cancelled here and now.
                await using var queued = new NpgsqlCommand(
                    "UPDATE executions SET status = 'cancelled', error = 'cancelled by the client', finished_at = $2, cancel_requested = true "
                    + "WHERE execution_id = $1 AND status = 'queued' AND claimed_by IS NULL", connection);
                queued.Parameters.Add(SqlParameter.Text(job.Id));
                queued.Parameters.Add(SqlParameter.Time(clock.GetUtcNow()));
                if (await queued.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1)
                {
                    return true;
                }

                // Claimed: marked, and the replica holding it kills it at its next heartbeat.
                await using var claimed = new NpgsqlCommand(
                    "UPDATE executions SET cancel_requested = true WHERE execution_id = $1 AND status IN ('queued', 'running')", connection);
                claimed.Parameters.Add(SqlParameter.Text(job.Id));
                await claimed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                return false;
            },
            cancellationToken).ConfigureAwait(false);

        if (!cancelledWhileWaiting && _running.TryGetValue(job.Id, out var local))
        {
            await local.Cancel.CancelAsync().ConfigureAwait(false);
        }

        var deadline = clock.GetUtcNow() + CancelWait;
        var current = job;
        while (true)
        {
            current = await FindAsync(job.Id, cancellationToken).ConfigureAwait(false) ?? current;
            if (current.IsFinished || clock.GetUtcNow() >= deadline)
            {
                return current;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StartedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        await RecordAsync(
            "UPDATE executions SET status = 'running', started_at = $3 WHERE execution_id = $1 AND claimed_by = $2 AND status = 'queued'",
            job, [SqlParameter.Time(job.StartedAt ?? clock.GetUtcNow())]).ConfigureAwait(false);
    }

    public async Task FinishedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (_stopping.IsCancellationRequested && job.StartedAt is null)
        {
            // This replica stops before the code started: back to the queue, for another replica to run.
            await RecordAsync(
                "UPDATE executions SET claimed_by = NULL, lease_expires_at = NULL WHERE execution_id = $1 AND claimed_by = $2 AND status = 'queued'",
                job, []).ConfigureAwait(false);
            return;
        }

        await RecordAsync(
            "UPDATE executions SET status = $3, result = $4, error = $5, finished_at = $6, claimed_by = NULL, lease_expires_at = NULL "
            + "WHERE execution_id = $1 AND claimed_by = $2 AND status IN ('queued', 'running')",
            job,
            [
                SqlParameter.Text(StatusName(job.Status)),
                SqlParameter.Json(job.Result is null ? null : JsonSerializer.Serialize(job.Result, ExecutionJobJson.Options)),
                SqlParameter.Text(job.Error),
                SqlParameter.Time(job.FinishedAt ?? clock.GetUtcNow()),
            ]).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = clock.GetUtcNow();
        string? lastProblem = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await HeartbeatAsync(stoppingToken).ConfigureAwait(false);
                await EndExpiredLeasesAsync(stoppingToken).ConfigureAwait(false);
                // Nothing new once stopping (StopAsync runs before this loop's token is cancelled).
                while (!_stopping.IsCancellationRequested && readiness.IsReady
                    && _running.Count < concurrencyOptions.Value.MaxConcurrentExecutions
                    && await ClaimAsync(stoppingToken).ConfigureAwait(false) is { } claimed)
                {
                    Run(claimed.Job, claimed.Execution);
                }

                if (clock.GetUtcNow() >= nextSweep)
                {
                    await DeleteExpiredAsync(stoppingToken).ConfigureAwait(false);
                    nextSweep = clock.GetUtcNow() + TimeSpan.FromSeconds(asyncOptions.Value.SweepIntervalSec);
                }

                lastProblem = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database away: readiness says so; try again at the next turn, logging once per reason.
                if (ex.Message != lastProblem)
                {
                    LogWorkerFailed(ex);
                }

                lastProblem = ex.Message;
            }

            try
            {
                await _wake.WaitAsync(PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Kills what runs here (each recorded as cancelled by the shutdown, or handed back if it had not started) and waits for it.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        var runs = _running.Values.Select(r => r.Run).OfType<Task>().ToArray();
        await Task.WhenAll(runs).WaitAsync(StopWait, cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Run(ExecutionJob job, QueuedExecution execution)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var local = new LocalRun(cancel);
        _running[job.Id] = local;
        local.Run = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(execution, job, this, cancel.Token, _stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                _running.TryRemove(job.Id, out _);
                // A slot is free: claim the next at once.
                _wake.Release();
            }
        }, CancellationToken.None);
    }

    private async Task<(ExecutionJob Job, QueuedExecution Execution)?> ClaimAsync(CancellationToken cancellationToken) =>
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

    /// <summary>Renews the lease of every row held here, and kills those cancelled meanwhile or taken from us.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        if (_running.IsEmpty)
        {
            return;
        }

        var held = await database.RunAsync(
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
            cancellationToken).ConfigureAwait(false);

        foreach (var (id, local) in _running)
        {
            // Cancelled by a client, or no longer ours (its lease ran out while the database was away): stop it.
            if ((!held.TryGetValue(id, out var cancelRequested) || cancelRequested) && local.Run is not null && !local.Cancel.IsCancellationRequested)
            {
                await local.Cancel.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rows of replicas that stopped renewing: running ones fail, claimed ones not started go back to the queue.</summary>
    private Task<int> EndExpiredLeasesAsync(CancellationToken cancellationToken) =>
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

    private Task<int> DeleteExpiredAsync(CancellationToken cancellationToken) =>
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



    [LoggerMessage(Level = LogLevel.Warning, Message = "The background execution worker could not reach the database; retrying")]
    private partial void LogWorkerFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leases expired: {Failed} running execution(s) of stopped replicas failed ({Ids}), {Requeued} claimed one(s) back in the queue")]
    private partial void LogLeasesExpired(int failed, int requeued, string ids);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} expired execution result(s)")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record execution {ExecutionId} as {Status}; its lease decides")]
    private partial void LogRecordFailed(Exception ex, string executionId, string status);

    private sealed class LocalRun(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public Task? Run { get; set; }
    }
}
