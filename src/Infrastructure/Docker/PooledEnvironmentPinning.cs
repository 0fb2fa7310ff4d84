using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Packages;
using CodeInterpreter.Infrastructure.Packages;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// At start-up, off the readiness path (a build can take minutes), resolves each set of POOL_ENVIRONMENTS the way a
/// request's requirements are resolved (<see cref="PooledEnvironmentResolver"/>): its environment is built once
/// through the one single-flight build path, or found built (cached, adopted, or built by another replica), and
/// pinned in <see cref="EnvironmentPools"/> for as long as the service runs. A set whose build fails is logged with
/// pip's message and retried with growing pauses (its requests start cold sandboxes meanwhile); one the image
/// satisfies needs no pool of its own; one that cannot be had for want of a package source is logged and skipped.
/// </summary>
internal sealed partial class PooledEnvironmentPinning(
    EnvironmentPools pools,
    PooledEnvironmentResolver resolver,
    DockerPackageEnvironments environments,
    ServiceReadiness readiness,
    IOptions<PackageOptions> packageOptions,
    ILogger<PooledEnvironmentPinning> logger) : BackgroundService
{
    private static readonly TimeSpan ReadinessPoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(pools.Pools.Select(pool => PinAsync(pool, stoppingToken)));

    /// <summary>Resolves and pins one set's environment, retrying a failure with growing pauses until it succeeds or the service stops.</summary>
    private async Task PinAsync(EnvironmentPool pool, CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        try
        {
            while (true)
            {
                // After the leftovers' adoption has begun, so an environment an earlier process built is taken back, not built again.
                while (!readiness.IsEngineReady || !environments.AdoptionBegun)
                {
                    await Task.Delay(ReadinessPoll, stoppingToken).ConfigureAwait(false);
                }

                LogResolving(pool.Label);
                try
                {
                    if (await resolver.AcquireAsync(pool.Requirements, stoppingToken).ConfigureAwait(false) is not { } lease)
                    {
                        pool.State = EnvironmentPoolState.Image;
                        LogSatisfiedByImage(pool.Label);
                        return;
                    }

                    pools.Pin(pool, lease);
                    LogPinned(pool.Label, lease.Hash, pool.Size);
                    return;
                }
                catch (RequestValidationException ex) when (!packageOptions.Value.HasSource)
                {
                    pool.State = EnvironmentPoolState.Unavailable;
                    LogUnavailable(pool.Label, ex.Message);
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    pool.Failed();
                    LogFailed(pool.Label, (int)retry.TotalSeconds, ex.Message);
                }

                await Task.Delay(retry, stoppingToken).ConfigureAwait(false);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; a build under way finishes on its own (it is shared), and nothing holds its environment.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pooled requirement set [{Requirements}]: resolving its environment (built once, or found built)")]
    private partial void LogResolving(string requirements);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pooled requirement set [{Requirements}]: environment {Hash} pinned; keeping {Size} warm sandbox(es) with it")]
    private partial void LogPinned(string requirements, string hash, int size);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pooled requirement set [{Requirements}]: the executor image satisfies it, so its requests need no environment and the default pool serves them")]
    private partial void LogSatisfiedByImage(string requirements);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pooled requirement set [{Requirements}] skipped: {Reason}")]
    private partial void LogUnavailable(string requirements, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pooled requirement set [{Requirements}]: its environment could not be had; retrying in {Seconds} s (its requests start cold sandboxes meanwhile): {Reason}")]
    private partial void LogFailed(string requirements, int seconds, string reason);
}
