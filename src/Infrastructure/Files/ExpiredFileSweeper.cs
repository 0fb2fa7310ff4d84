using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Files;

/// <summary>
/// Deletes stored files older than FILE_TTL_SEC, every FILE_SWEEP_INTERVAL_SEC (not at all when the
/// TTL is 0). A failed sweep is logged and the next one tries again; it never stops the service.
/// </summary>
internal sealed partial class ExpiredFileSweeper(
    IFileStore store,
    IOptions<FileStorageOptions> options,
    TimeProvider time,
    ILogger<ExpiredFileSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.TtlSec == 0)
        {
            LogDisabled();
            return;
        }

        var ttl = TimeSpan.FromSeconds(settings.TtlSec);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.SweepIntervalSec), time);
        try
        {
            do
            {
                await SweepAsync(ttl, stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task SweepAsync(TimeSpan ttl, CancellationToken stoppingToken)
    {
        try
        {
            var removed = await store.DeleteExpiredAsync(time.GetUtcNow() - ttl, stoppingToken).ConfigureAwait(false);
            if (removed > 0)
            {
                LogRemoved(removed, ttl.TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogSweepFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} file(s) older than {TtlSeconds} s")]
    private partial void LogRemoved(int count, double ttlSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "FILE_TTL_SEC is 0: stored files never expire")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Error, Message = "Sweeping expired files failed; retrying at the next interval")]
    private partial void LogSweepFailed(Exception ex);
}
