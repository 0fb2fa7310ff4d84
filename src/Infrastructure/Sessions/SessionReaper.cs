using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// Closes sessions past their TTL every SESSION_SWEEP_INTERVAL_SEC (their sandboxes are removed), and
/// every session when the service stops. A failed sweep is logged and the next one tries again.
/// </summary>
internal sealed partial class SessionReaper(
    DockerSessionProvider sessions,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<SessionReaper> logger) : BackgroundService
{
    private readonly Lock _closingGate = new();
    private Task? _closing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSec), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await SweepAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync closes what is left.
        }
    }

    /// <summary>
    /// Closes every session. Safe to call more than once (a host may stop twice, and dispose its
    /// services as soon as the first stop returns): every caller waits for the same closing.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Task closing;
        lock (_closingGate)
        {
            closing = _closing ??= sessions.CloseAllAsync();
        }

        await closing.ConfigureAwait(false);
    }

    private async Task SweepAsync()
    {
        try
        {
            var closed = await sessions.CloseExpiredAsync().ConfigureAwait(false);
            if (closed > 0)
            {
                LogExpired(closed);
            }
        }
        catch (Exception ex)
        {
            LogSweepFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} expired session(s)")]
    private partial void LogExpired(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Closing expired sessions failed; retrying at the next interval")]
    private partial void LogSweepFailed(Exception ex);
}
