using System.Collections.Concurrent;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The pool's refilling side: starts sandboxes until the pool holds its size (more while requests
/// wait), boots each and offers it to the pool, and imports the preloads of sandboxes the pool chose
/// to preload. Counts what is warming and tracks each task, so the drain can wait for all of them.
/// </summary>
internal sealed partial class SandboxRefill(
    SandboxPool pool,
    ContainerOperations containers,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<PoolOptions> poolOptions,
    ILogger logger)
{
    private const string PoolLabel = "pool";
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private int _warming;
    private long _bootedHandovers;

    /// <summary>Sandboxes being started, booted or preloaded now.</summary>
    public int Warming => Volatile.Read(ref _warming);

    /// <summary>Sandboxes handed to a waiting request as soon as they booted, their preloads skipped.</summary>
    public long BootedHandovers => Interlocked.Read(ref _bootedHandovers);

    private TimeSpan BootTimeout => TimeSpan.FromSeconds(sandboxOptions.Value.BootTimeoutSec);

    /// <summary>
    /// Starts sandboxes until those <paramref name="parked"/> plus those warming reach the pool's size;
    /// <paramref name="waiting"/> requests raise both the target and how many may boot at once.
    /// </summary>
    public void TopUp(int waiting, Func<int> parked, CancellationToken stoppingToken)
    {
        var target = poolOptions.Value.Size + waiting;
        var concurrency = poolOptions.Value.WarmupConcurrency + waiting;
        while (parked() + Warming < target && Warming < concurrency)
        {
            Interlocked.Increment(ref _warming);
            Track(WarmAsync(parked: null, stoppingToken));
        }
    }

    /// <summary>Whether another parked sandbox may import its preloads now (as many at once as a refill).</summary>
    public bool MayPreload => Warming < poolOptions.Value.WarmupConcurrency;

    /// <summary>Has a sandbox parked as booted import its preloads, then offers it to the pool again.</summary>
    public void Preload(SandboxContainer sandbox, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _warming);
        Track(WarmAsync(sandbox, stoppingToken));
    }

    /// <summary>Completes once every warming task has ended.</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_inFlight.Keys);

    /// <summary>Counts a warm-up task as in flight until it ends (the drain waits for all of them).</summary>
    private void Track(Task warming)
    {
        _inFlight.TryAdd(warming, 0);
        _ = warming.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// Warms one sandbox: a new one (<paramref name="parked"/> null), booted and offered to the pool
    /// at once when it has booted, else preloaded first; or one parked as booted, preloaded. A new one
    /// that fails releases a waiting request and backs off before the next try.
    /// </summary>
    private async Task WarmAsync(SandboxContainer? parked, CancellationToken stoppingToken)
    {
        var sandbox = parked;
        try
        {
            if (sandbox is null)
            {
                sandbox = await SandboxContainer.StartAsync(containers, sandboxOptions.Value, pool.Shape, PoolLabel, logger, stoppingToken)
                    .ConfigureAwait(false);
                if (await sandbox.WaitUntilBootedAsync(BootTimeout, stoppingToken).ConfigureAwait(false) == SandboxBoot.Booted
                    && PlaceBooted(sandbox))
                {
                    sandbox = null;
                    return;
                }
            }

            if (sandbox.Boot == SandboxBoot.Booted)
            {
                await sandbox.PreloadAsync(stoppingToken).ConfigureAwait(false);
                await sandbox.WaitUntilReadyAsync(BootTimeout, stoppingToken).ConfigureAwait(false);
            }

            pool.Offer(sandbox, mayDecline: false);
            sandbox = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            LogWarmFailed(ex);
            if (parked is null)
            {
                await BackOffAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (sandbox is not null)
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
            }

            Interlocked.Decrement(ref _warming);
            pool.Wake();
        }
    }

    /// <summary>Offers a sandbox that has just booted as it is; false when the calm pool wants it preloaded first.</summary>
    private bool PlaceBooted(SandboxContainer sandbox)
    {
        var placement = pool.Offer(sandbox, mayDecline: true);
        if (placement == SandboxPlacement.HandedOver)
        {
            Interlocked.Increment(ref _bootedHandovers);
        }

        return placement != SandboxPlacement.Declined;
    }

    private async Task BackOffAsync(CancellationToken stoppingToken)
    {
        // A request waiting for this sandbox goes its own way and meets the failure itself.
        pool.ReleaseWaiter();
        try
        {
            await Task.Delay(FailureBackoff, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: no point backing off.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not warm a sandbox; retrying")]
    private partial void LogWarmFailed(Exception ex);
}
