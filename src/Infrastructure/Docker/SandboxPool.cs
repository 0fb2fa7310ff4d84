using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Keeps POOL_SIZE sandboxes started, their runner booted with SANDBOX_PRELOAD imported, each waiting
/// for exactly one request. A lease takes one out for good (it is destroyed after its request) and
/// the pool refills in the background once the lease's call is over, so that creating, booting and
/// preloading the replacement does not compete with the call for the same cores. Sandboxes that
/// die while parked (an engine restart) are dropped and replaced.
/// <para>
/// When the pool is empty a request waits for the next sandbox rather than starting its own: more
/// are started for the waiting requests, and a sandbox that boots while a request waits is handed
/// over before it imports the preloads (the code imports what it needs itself).
/// </para>
/// <para>
/// Preloads are imported only when the pool is calm: nobody waiting, and nobody waited for
/// POOL_PRELOAD_AFTER_IDLE_MS. Until then sandboxes that boot with nobody waiting are parked as
/// booted and leased as they are. Under load every sandbox serves a request anyway and CPU is what
/// bounds throughput, so none goes to imports a request may not need; once calm, parked sandboxes
/// import their preloads and the pool is fully warm for the next burst.
/// </para>
/// <para>
/// The pool coordinates three parts under one gate: leasing (<see cref="SandboxWaiters"/>), parking
/// (<see cref="ParkedSandboxes"/>) and refilling (<see cref="SandboxRefill"/>).
/// </para>
/// </summary>
internal sealed partial class SandboxPool : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly ServiceReadiness _readiness;
    private readonly IOptions<SandboxOptions> _sandboxOptions;
    private readonly IOptions<PoolOptions> _poolOptions;
    private readonly ILogger<SandboxPool> _logger;
    private readonly Lock _gate = new();
    private readonly SandboxWaiters _waiters = new();
    private readonly ParkedSandboxes _parked;
    private readonly SandboxRefill _refill;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CallBursts _bursts = new();
    private readonly Lock _drainGate = new();
    private Task? _drain;
    private bool _draining;

    public SandboxPool(
        ContainerOperations containers,
        ServiceReadiness readiness,
        IOptions<SandboxOptions> sandboxOptions,
        IOptions<PoolOptions> poolOptions,
        IOptions<ExecutionOptions> executionOptions,
        ILogger<SandboxPool> logger)
    {
        _readiness = readiness;
        _sandboxOptions = sandboxOptions;
        _poolOptions = poolOptions;
        _logger = logger;
        _parked = new ParkedSandboxes(logger);
        _refill = new SandboxRefill(this, containers, sandboxOptions, poolOptions, logger);
        Shape = new(executionOptions.Value.MemoryLimitMb, poolOptions.Value.Preload.Replace(" ", "", StringComparison.Ordinal));
    }

    /// <summary>The shape every pooled sandbox has: the default limits and the preloads.</summary>
    public SandboxShape Shape { get; }

    /// <summary>Warm sandboxes ready to lease now, their preloads imported.</summary>
    public int WarmCount
    {
        get
        {
            lock (_gate)
            {
                return _parked.WarmCount;
            }
        }
    }

    /// <summary>Sandboxes parked as booted (the pool was busy): leased as they are, or preloaded once calm.</summary>
    public int BootedCount
    {
        get
        {
            lock (_gate)
            {
                return _parked.BootedCount;
            }
        }
    }

    /// <summary>Sandboxes handed to a waiting request as soon as they booted, their preloads skipped.</summary>
    public long BootedHandovers => _refill.BootedHandovers;

    public string Runtime => _sandboxOptions.Value.Runtime;

    public SandboxPoolSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new SandboxPoolSnapshot(
                _poolOptions.Value.Size, _parked.WarmCount, _parked.BootedCount, _refill.Warming, _waiters.Count);
        }
    }

    private TimeSpan PreloadAfterIdle => TimeSpan.FromMilliseconds(_poolOptions.Value.PreloadAfterIdleMs);

    private TimeSpan BootTimeout => TimeSpan.FromSeconds(_sandboxOptions.Value.BootTimeoutSec);

    /// <summary>
    /// Takes a warm sandbox that fits <paramref name="shape"/>; when none is warm, waits for the next
    /// one the pool boots. Null when the shape does not fit the pool, the pool is off, or no sandbox
    /// came in time (then the caller starts a cold one).
    /// </summary>
    public async Task<SandboxContainer?> LeaseAsync(SandboxShape shape, CancellationToken cancellationToken)
    {
        // Settings fixed at creation (memory, CPU, network, image) must match; the rest travels in the request.
        if (_poolOptions.Value.Size == 0 || shape != Shape)
        {
            return null;
        }

        TaskCompletionSource<SandboxContainer?> waiter;
        lock (_gate)
        {
            if (_parked.TakeAlive() is { } sandbox)
            {
                // No refill yet: creating and booting its replacement would compete with this call
                // for the same cores. LeaseEnded starts it once the call is over (or, in a burst of
                // calls, once the burst pauses; see CallBursts).
                return sandbox;
            }

            if (_draining || !_readiness.IsEngineReady)
            {
                return null;
            }

            waiter = _waiters.Add();
        }

        Wake();
        try
        {
            return await waiter.Task.WaitAsync(BootTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }

            if (!waiter.TrySetResult(null) && waiter.Task.Result is { } late)
            {
                // Handed over just as the wait ended: give it to the next request or park it.
                Offer(late, mayDecline: false);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            LogWaitedInVain(_sandboxOptions.Value.BootTimeoutSec);
            return null;
        }
    }

    /// <summary>
    /// A leased sandbox's call is over: now its replacement is made, unless calls come back to back
    /// and half the pool is still parked (<see cref="CallBursts"/>: making one costs the engine about
    /// 150 CPU ms, which the next call of the burst would share). (Requests that wait for a sandbox
    /// wake the refill at once; see <see cref="LeaseAsync"/>.)
    /// </summary>
    public void LeaseEnded()
    {
        _bursts.CallEnded();
        Wake();
    }

    /// <summary>
    /// Hands a sandbox to the longest-waiting request, or parks it: a ready one always, a booted one
    /// while the pool is busy. A booted one in a calm pool is declined if <paramref name="mayDecline"/>
    /// (the caller imports its preloads now), else parked for the pool to preload.
    /// </summary>
    public SandboxPlacement Offer(SandboxContainer sandbox, bool mayDecline)
    {
        lock (_gate)
        {
            if (_waiters.HandOver(sandbox))
            {
                return SandboxPlacement.HandedOver;
            }

            if (sandbox.Boot == SandboxBoot.Ready)
            {
                _parked.Park(sandbox);
                return SandboxPlacement.Parked;
            }

            if (mayDecline && _waiters.IsCalm(PreloadAfterIdle))
            {
                return SandboxPlacement.Declined;
            }

            _parked.Park(sandbox);
        }

        Wake();  // the loop preloads it once the pool is calm
        return SandboxPlacement.Parked;
    }

    /// <summary>Lets one waiting request go (to the cold path) without a sandbox.</summary>
    public void ReleaseWaiter()
    {
        lock (_gate)
        {
            _waiters.HandOver(null);
        }
    }

    /// <summary>Has the pool's loop look again now (a sandbox placed or lost, a request waiting, a lease over).</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_poolOptions.Value.Size == 0)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (_readiness.IsEngineReady)
                {
                    await DropDeadAsync().ConfigureAwait(false);
                    TopUp(stoppingToken);
                    PreloadParked(stoppingToken);
                }

                await _wake.WaitAsync(NextCheck(), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync drains.
        }
    }

    /// <summary>
    /// Drains the pool: waits for sandboxes still warming, then removes every warm one. Safe to call
    /// more than once (a host may stop twice); every caller waits for the same drain.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _draining = true;
        }

        Task drain;
        lock (_drainGate)
        {
            drain = _drain ??= DrainAsync();
        }

        await drain.ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        await _refill.WhenIdleAsync().ConfigureAwait(false);
        List<SandboxContainer> warm;
        lock (_gate)
        {
            warm = _parked.TakeAll();
            _waiters.ReleaseAll();
        }

        foreach (var sandbox in warm)
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }

        LogDrained(warm.Count);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private void TopUp(CancellationToken stoppingToken)
    {
        int waiting;
        lock (_gate)
        {
            waiting = _waiters.Count;
        }

        if (waiting == 0 && BurstHoldLeft() is not null)
        {
            return;  // NextCheck wakes the loop when the burst's pause has come
        }

        _refill.TopUp(waiting, () => ParkedCount, stoppingToken);
    }

    /// <summary>
    /// Completes when calls pause, or after <see cref="CallBursts.MaxRemovalDelay"/> at most: removing a
    /// used sandbox costs the engine CPU that the next call of a burst would share. The sandbox's runner
    /// has exited with its result, or it is killed by the removal; its code can do nothing more
    /// meanwhile that reaches a result.
    /// </summary>
    public Task BurstPausedAsync() => _bursts.PausedAsync();

    /// <summary>How long refills still wait for a burst of calls to pause; null when they need not.</summary>
    private TimeSpan? BurstHoldLeft()
    {
        var left = _bursts.Left();
        var lowWater = (_poolOptions.Value.Size + 1) / 2;
        return left > TimeSpan.Zero && ParkedCount + _refill.Warming >= lowWater ? left : null;
    }

    private int ParkedCount
    {
        get
        {
            lock (_gate)
            {
                return _parked.Count;
            }
        }
    }

    /// <summary>Once the pool is calm, has sandboxes parked as booted import their preloads.</summary>
    private void PreloadParked(CancellationToken stoppingToken)
    {
        while (true)
        {
            SandboxContainer? sandbox;
            lock (_gate)
            {
                if (!_waiters.IsCalm(PreloadAfterIdle) || !_refill.MayPreload || _parked.TakeAliveBooted() is not { } parked)
                {
                    return;
                }

                sandbox = parked;
            }

            _refill.Preload(sandbox, stoppingToken);
        }
    }

    /// <summary>When the loop should look again: when a burst pauses, or at once when calm comes for sandboxes parked as booted.</summary>
    private TimeSpan NextCheck()
    {
        if (BurstHoldLeft() is { } hold)
        {
            return hold;
        }

        lock (_gate)
        {
            if (_parked.BootedCount == 0 || _waiters.UntilCalm(PreloadAfterIdle) is not { } untilCalm)
            {
                return CheckInterval;
            }

            return untilCalm <= TimeSpan.Zero ? CheckInterval : TimeSpan.FromTicks(Math.Min(untilCalm.Ticks, CheckInterval.Ticks));
        }
    }

    private async Task DropDeadAsync()
    {
        List<SandboxContainer> dead;
        lock (_gate)
        {
            dead = _parked.TakeDead();
        }

        await _parked.DiscardAsync(dead).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No warm sandbox came within {Seconds} s; starting a cold one")]
    private partial void LogWaitedInVain(int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox pool drained: {Count} warm sandbox(es) removed")]
    private partial void LogDrained(int count);
}
