using System.Globalization;
using CodeInterpreter.Infrastructure.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The replica registry (PostgreSQL mode only): every 2 s this replica records that it lives
/// (<c>replicas</c>: id, internal URL, last seen), and marks lost the sessions of every replica not seen
/// for REPLICA_TIMEOUT_SEC: their sandboxes died with it, so calls to them answer 410 Gone instead of
/// hanging. One statement each, safe with every replica doing it. At shutdown the replica removes its row.
/// </summary>
internal sealed partial class ReplicaHeartbeat(
    IServiceProvider services,
    ReplicaIdentity replica,
    IOptions<DatabaseOptions> options,
    TimeProvider time,
    ILogger<ReplicaHeartbeat> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.UsesPostgres)
        {
            return;
        }

        var database = services.GetRequiredService<PostgresDatabase>();
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BeatAsync(database, stoppingToken).ConfigureAwait(false);
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (!failing)
                {
                    LogBeatFailed(ex);
                }

                failing = true;
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!options.Value.UsesPostgres)
        {
            return;
        }

        try
        {
            await services.GetRequiredService<PostgresDatabase>().RunAsync(
                async connection =>
                {
                    await using var delete = new NpgsqlCommand("DELETE FROM replicas WHERE replica_id = $1", connection);
                    delete.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = replica.Id });
                    return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Its row simply times out like a dead replica's.
            LogBeatFailed(ex);
        }
    }

    /// <summary>One heartbeat: this replica seen now, replicas not seen for the timeout removed, their sessions marked lost.</summary>
    internal async Task BeatAsync(PostgresDatabase database, CancellationToken cancellationToken)
    {
        var timeout = string.Create(CultureInfo.InvariantCulture, $"{options.Value.ReplicaTimeoutSec} seconds");
        var lost = await database.RunAsync(
            async connection =>
            {
                await ExecuteAsync(connection,
                    "INSERT INTO replicas (replica_id, internal_url, last_seen) VALUES ($1, $2, now()) "
                    + "ON CONFLICT (replica_id) DO UPDATE SET internal_url = excluded.internal_url, last_seen = now()",
                    [replica.Id, options.Value.ReplicaUrl], cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "DELETE FROM replicas WHERE last_seen < now() - $1::interval", [timeout], cancellationToken)
                    .ConfigureAwait(false);
                var marked = await ExecuteAsync(connection,
                    "UPDATE sessions SET lost_at = now() WHERE lost_at IS NULL AND replica_id NOT IN "
                    + "(SELECT replica_id FROM replicas WHERE last_seen >= now() - $1::interval)",
                    [timeout], cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "DELETE FROM sessions WHERE expires_at < now() - interval '1 hour'", [], cancellationToken)
                    .ConfigureAwait(false);
                return marked;
            },
            cancellationToken).ConfigureAwait(false);
        if (lost > 0)
        {
            LogSessionsLost(lost, options.Value.ReplicaTimeoutSec);
        }
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, string?[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} session(s) lost: their replica sent no heartbeat for {TimeoutSeconds} s")]
    private partial void LogSessionsLost(int count, int timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The replica heartbeat could not reach the database; retrying")]
    private partial void LogBeatFailed(Exception ex);
}
