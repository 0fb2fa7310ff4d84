using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>
/// Keeps readiness honest about the database: not ready from start-up until the schema is up to date,
/// and again whenever a ping fails (every few seconds), with a reason naming the database. Logs each
/// change once. Does nothing in embedded mode.
/// </summary>
internal sealed partial class DatabaseMonitor(
    IServiceProvider services,
    IOptions<DatabaseOptions> options,
    ServiceReadiness readiness,
    TimeProvider time,
    ILogger<DatabaseMonitor> logger) : BackgroundService
{
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.UsesPostgres)
        {
            return;
        }

        var database = services.GetRequiredService<PostgresDatabase>();
        // Before the first await: the host starts listening only after this, never ready too early.
        readiness.MarkDatabaseUnavailable($"connecting to the database (PostgreSQL at {database.Location})");
        string? lastProblem = null;
        var available = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    attempt.CancelAfter(TimeSpan.FromSeconds(10));
                    await database.EnsureSchemaAsync(attempt.Token).ConfigureAwait(false);
                    await database.PingAsync(attempt.Token).ConfigureAwait(false);
                    readiness.MarkDatabaseAvailable();
                    if (!available)
                    {
                        LogAvailable(database.Location);
                    }

                    available = true;
                    lastProblem = null;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    var problem = database.DescribeFailure(ex);
                    readiness.MarkDatabaseUnavailable(problem);
                    available = false;
                    if (problem != lastProblem)
                    {
                        LogUnavailable(problem);
                    }

                    lastProblem = problem;
                }

                await Task.Delay(CheckInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The database at {Location} answers and its schema is up to date")]
    private partial void LogAvailable(string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: {Problem}")]
    private partial void LogUnavailable(string problem);
}
