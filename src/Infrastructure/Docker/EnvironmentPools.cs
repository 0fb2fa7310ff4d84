using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// POOL_ENVIRONMENTS: warm sandboxes for hot requirement sets. Once a set's environment is pinned
/// (<see cref="PooledEnvironmentPinning"/>), POOL_ENVIRONMENT_SIZE sandboxes of the default pool's shape with that
/// environment mounted are kept parked, their preloads imported, and each is replaced once its lease's call is over (a few at a time:
/// POOL_WARMUP_CONCURRENCY for all sets together). A request whose environment is a pooled set's takes a parked one
/// or, when none is, starts a cold one as before; requests whose environment is not a pooled one never touch this.
/// </summary>
internal sealed partial class EnvironmentPools : BackgroundService
{
    private const string PoolLabel = "pool-env";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly ContainerOperations _containers;
    private readonly ServiceReadiness _readiness;
    private readonly SandboxPool _pool;
    private readonly IOptions<SandboxOptions> _sandboxOptions;
    private readonly IOptions<PoolOptions> _poolOptions;
    private readonly ILogger<EnvironmentPools> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Lock _drainGate = new();
    private Task? _drain;

    public EnvironmentPools(
        ContainerOperations containers,
        ServiceReadiness readiness,
        SandboxPool pool,
        IOptions<SandboxOptions> sandboxOptions,
        IOptions<PoolOptions> poolOptions,
        ILogger<EnvironmentPools> logger)
    {
        _containers = containers;
        _readiness = readiness;
        _pool = pool;
        _sandboxOptions = sandboxOptions;
        _poolOptions = poolOptions;
        _logger = logger;
        Pools = [.. poolOptions.Value.EnvironmentSets.Select(set => new EnvironmentPool(set, poolOptions.Value.EnvironmentSize))];
    }

    /// <summary>One pool per configured set, in the order of POOL_ENVIRONMENTS.</summary>
    public IReadOnlyList<EnvironmentPool> Pools { get; }

    private TimeSpan BootTimeout => TimeSpan.FromSeconds(_sandboxOptions.Value.BootTimeoutSec);

    /// <summary>
    /// A warm sandbox for <paramref name="shape"/> when it is a pooled set's (a hit or a miss counted), else null
    /// at once without counting: the request takes today's path.
    /// </summary>
    public SandboxContainer? TryLease(SandboxShape shape)
    {
        if (shape.PackageEnvironment is null || Pools.FirstOrDefault(p => p.Shape == shape) is not { } pool)
        {
            return null;
        }

        List<SandboxContainer> dead = [];
        var sandbox = pool.Take(dead);
        Remove(dead);
        if (sandbox is null)
        {
            LogMiss(pool.Label);
            Wake();  // the pool is short: whatever it misses is made now
        }

        return sandbox;
    }

    /// <summary>The call on a sandbox leased from a pooled set's pool is over: its replacement is made now.</summary>
    public void LeaseEnded(SandboxContainer sandbox)
    {
        if (Pools.FirstOrDefault(p => p.Shape == sandbox.Shape) is { } pool)
        {
            pool.LeaseEnded();
            Wake();
        }
    }

    /// <summary>Has the loop look again now (a lease taken or over, a set pinned).</summary>
    public void Wake() => _wake.Release();

    /// <summary>Pins <paramref name="pool"/>'s environment: from now on its sandboxes are kept warm with it mounted.</summary>
    public void Pin(EnvironmentPool pool, PackageEnvironmentLease lease)
    {
        pool.Pin(lease, _pool.Shape with { PackageEnvironment = lease.Volume });
        Wake();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Pools.Count == 0)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_readiness.IsEngineReady)
                {
                    TopUp(stoppingToken);
                }

                await _wake.WaitAsync(CheckInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync drains.
        }
    }

    /// <summary>Waits for the warm-ups still running, then removes every parked sandbox and lets the environments go.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Task drain;
        lock (_drainGate)
        {
            drain = _drain ??= DrainAsync();
        }

        await drain.ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private async Task DrainAsync()
    {
        await Task.WhenAll(_inFlight.Keys).ConfigureAwait(false);
        foreach (var pool in Pools)
        {
            foreach (var sandbox in pool.Drain())
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes sandboxes that died while parked and starts what each pool misses, a few at a time.</summary>
    private void TopUp(CancellationToken stoppingToken)
    {
        foreach (var pool in Pools)
        {
            Remove(pool.TakeDead());
        }

        var room = _poolOptions.Value.WarmupConcurrency - Pools.Sum(p => p.Warming);
        foreach (var pool in Pools)
        {
            for (var missing = pool.Missing(); missing > 0 && room > 0; missing--, room--)
            {
                pool.WarmingStarted();
                Track(WarmAsync(pool, stoppingToken));
            }
        }
    }

    /// <summary>Starts one sandbox with the set's environment mounted, boots it, imports the preloads and parks it.</summary>
    private async Task WarmAsync(EnvironmentPool pool, CancellationToken stoppingToken)
    {
        SandboxContainer? sandbox = null;
        var parked = false;
        try
        {
            sandbox = await SandboxContainer.StartAsync(
                _containers, _sandboxOptions.Value, pool.Shape!, PoolLabel, _logger, stoppingToken).ConfigureAwait(false);
            if (await sandbox.WaitUntilBootedAsync(BootTimeout, stoppingToken).ConfigureAwait(false) == SandboxBoot.Booted)
            {
                await sandbox.PreloadAsync(stoppingToken).ConfigureAwait(false);
                await sandbox.WaitUntilReadyAsync(BootTimeout, stoppingToken).ConfigureAwait(false);
            }

            parked = pool.Park(sandbox);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            pool.WarmingFailed();
        }
        catch (Exception ex)
        {
            pool.WarmingFailed();
            LogWarmFailed(pool.Label, ex);
            await PauseAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            if (!parked && sandbox is not null)
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
            }

            Wake();
        }
    }

    private static async Task PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            // A failing engine is not hammered: the next try of this pool waits a little.
            await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private void Remove(List<SandboxContainer> dead)
    {
        foreach (var sandbox in dead)
        {
            LogDiscarded(sandbox.Id);
            Track(sandbox.DisposeAsync().AsTask());
        }
    }

    private void Track(Task task)
    {
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pooled requirement set [{Requirements}]: could not warm a sandbox; retrying")]
    private partial void LogWarmFailed(string requirements, Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pooled requirement set [{Requirements}]: no warm sandbox parked; starting a cold one")]
    private partial void LogMiss(string requirements);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm sandbox {ContainerId} of a pooled requirement set died while parked; replacing it")]
    private partial void LogDiscarded(string containerId);
}
