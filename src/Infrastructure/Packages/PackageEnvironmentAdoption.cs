using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// Once the engine answers at start-up, has the package environments take back what an earlier process of this
/// instance left (<see cref="LeftoverEnvironments"/>); retried while the engine is away, never twice once done.
/// </summary>
internal sealed partial class PackageEnvironmentAdoption(
    ServiceReadiness readiness, DockerPackageEnvironments environments, TimeProvider time, ILogger<PackageEnvironmentAdoption> logger)
    : BackgroundService
{
    private static readonly TimeSpan ReadinessPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                while (!readiness.IsEngineReady)
                {
                    await Task.Delay(ReadinessPoll, time, stoppingToken).ConfigureAwait(false);
                }

                try
                {
                    await environments.AdoptLeftoversAsync(stoppingToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRetry(ex.Message, (int)RetryDelay.TotalSeconds);
                    await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down before the engine answered: nothing was taken back, nothing is lost (the volumes stay).
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking back package environments left by an earlier process failed ({Reason}); retrying in {Seconds} s")]
    private partial void LogRetry(string reason, int seconds);
}
