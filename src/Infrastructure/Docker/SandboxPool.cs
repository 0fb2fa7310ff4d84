using System.Collections.Concurrent;
using System.Diagnostics;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
/// </summary>
internal sealed partial class SandboxPool(
    ContainerOperations containers,
    ServiceReadiness readiness,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<PoolOptions> poolOptions,
    IOptions<ExecutionOptions> executionOptions,
    ILogger<SandboxPool> logger) : BackgroundService, ISandboxPoolStatus
{
    private const string PoolLabel = "pool";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly Queue<SandboxContainer> _warm = new();
    private readonly Queue<SandboxContainer> _booted = new();
    private readonly LinkedList<TaskCompletionSource<SandboxContainer?>> _waiters = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Lock _drainGate = new();
    private Task? _drain;
    private bool _draining;
    private int _warming;
    private long _bootedHandovers;
    private long _lastWaitTimestamp;

    /// <summary>The shape every pooled sandbox has: the default limits and the preloads.</summary>
    public SandboxShape Shape { get; } = new(executionOptions.Value.MemoryLimitMb, poolOptions.Value.Preload.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Warm sandboxes ready to lease now, their preloads imported.</summary>
    public int WarmCount
    {
        get
        {
            lock (_gate)
            {
                return _warm.Count;
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
                return _booted.Count;
            }
        }
    }

    public SandboxPoolSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new SandboxPoolSnapshot(
                poolOptions.Value.Size, _warm.Count, _booted.Count, Volatile.Read(ref _warming), _waiters.Count);
        }
    }

    private TimeSpan PreloadAfterIdle => TimeSpan.FromMilliseconds(poolOptions.Value.PreloadAfterIdleMs);

    /// <summary>Nobody waits for a sandbox and nobody did for <see cref="PreloadAfterIdle"/>. Called under the gate.</summary>
    private bool IsCalm => _waiters.Count == 0
        && (_lastWaitTimestamp == 0 || Stopwatch.GetElapsedTime(_lastWaitTimestamp) >= PreloadAfterIdle);

    /// <summary>
    /// Takes a warm sandbox that fits <paramref name="shape"/>; when none is warm, waits for the next
    /// one the pool boots. Null when the shape does not fit the pool, the pool is off, or no sandbox
    /// came in time (then the caller starts a cold one).
    /// </summary>
    public async Task<SandboxContainer?> LeaseAsync(SandboxShape shape, CancellationToken cancellationToken)
    {
        // Settings fixed at creation (memory, CPU, network, image) must match; the rest travels in the request.
        if (poolOptions.Value.Size == 0 || shape != Shape)
        {
            return null;
        }

        TaskCompletionSource<SandboxContainer?> waiter;
        lock (_gate)
        {
            if ((TakeAlive(_warm) ?? TakeAlive(_booted)) is { } sandbox)
            {
                // No refill yet: creating and booting its replacement would compete with this call
                // for the same cores. LeaseEnded starts it once the call is over.
                return sandbox;
            }

            if (_draining || !readiness.IsReady)
            {
                return null;
            }

            waiter = new TaskCompletionSource<SandboxContainer?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.AddLast(waiter);
            _lastWaitTimestamp = Stopwatch.GetTimestamp();
        }

        _wake.Release();
        try
        {
            return await waiter.Task.WaitAsync(BootTimeout, cancellationToken)
                .ConfigureAwait(false);
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

            LogWaitedInVain(sandboxOptions.Value.BootTimeoutSec);
            return null;
        }
    }

    /// <summary>
    /// A leased sandbox's call is over: now its replacement is made. (Requests that wait for a
    /// sandbox wake the refill at once; see <see cref="LeaseAsync"/>.)
    /// </summary>
    public void LeaseEnded() => _wake.Release();

    /// <summary>Sandboxes handed to a waiting request as soon as they booted, their preloads skipped.</summary>
    public long BootedHandovers => Interlocked.Read(ref _bootedHandovers);

    /// <summary>Requests waiting for a sandbox.</summary>
    private int WaiterCount
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>A dequeued sandbox that is still alive; dead ones are dropped on the way. Called under the gate.</summary>
    private SandboxContainer? TakeAlive(Queue<SandboxContainer> parked)
    {
        while (parked.TryDequeue(out var sandbox))
        {
            if (sandbox.IsAlive)
            {
                return sandbox;
            }

            LogDiscarded(sandbox.Id);
            _ = sandbox.DisposeAsync().AsTask();
        }

        return null;
    }

    /// <summary>
    /// Hands a sandbox to the longest-waiting request, or parks it: a ready one always, a booted one
    /// while the pool is busy. A booted one in a calm pool is declined if <paramref name="mayDecline"/>
    /// (the caller imports its preloads now), else parked for the pool to preload.
    /// </summary>
    private Placement Offer(SandboxContainer sandbox, bool mayDecline)
    {
        lock (_gate)
        {
            if (HandToWaiter(sandbox))
            {
                return Placement.HandedOver;
            }

            if (sandbox.Boot == SandboxBoot.Ready)
            {
                _warm.Enqueue(sandbox);
                return Placement.Parked;
            }

            if (mayDecline && IsCalm)
            {
                return Placement.Declined;
            }

            _booted.Enqueue(sandbox);
        }

        _wake.Release();  // the loop preloads it once the pool is calm
        return Placement.Parked;
    }

    /// <summary>Lets one waiting request go (to the cold path) without a sandbox.</summary>
    private void ReleaseWaiter()
    {
        lock (_gate)
        {
            HandToWaiter(null);
        }
    }

    /// <summary>
    /// Completes the longest wait still pending with <paramref name="sandbox"/> (null: go cold);
    /// false when nobody waits. Waits that ended meanwhile are skipped. Called under the gate.
    /// </summary>
    private bool HandToWaiter(SandboxContainer? sandbox)
    {
        while (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            if (first.Value.TrySetResult(sandbox))
            {
                _lastWaitTimestamp = Stopwatch.GetTimestamp();  // the wait lasted until now
                return true;
            }
        }

        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (poolOptions.Value.Size == 0)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (readiness.IsReady)
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
        await Task.WhenAll(_inFlight.Keys).ConfigureAwait(false);
        List<SandboxContainer> warm;
        lock (_gate)
        {
            warm = [.. _warm, .. _booted];
            _warm.Clear();
            _booted.Clear();
            foreach (var waiter in _waiters)
            {
                waiter.TrySetResult(null);
            }

            _waiters.Clear();
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
        // Waiting requests raise both the target and how many may boot at once.
        var waiting = WaiterCount;
        var target = poolOptions.Value.Size + waiting;
        var concurrency = poolOptions.Value.WarmupConcurrency + waiting;
        while (ParkedCount + Volatile.Read(ref _warming) < target && Volatile.Read(ref _warming) < concurrency)
        {
            Interlocked.Increment(ref _warming);
            Track(WarmOneAsync(stoppingToken));
        }
    }

    private int ParkedCount
    {
        get
        {
            lock (_gate)
            {
                return _warm.Count + _booted.Count;
            }
        }
    }

    /// <summary>Once the pool is calm, imports the preloads of sandboxes parked as booted (as many at once as a refill).</summary>
    private void PreloadParked(CancellationToken stoppingToken)
    {
        while (true)
        {
            SandboxContainer? sandbox;
            lock (_gate)
            {
                if (!IsCalm || Volatile.Read(ref _warming) >= poolOptions.Value.WarmupConcurrency
                    || TakeAlive(_booted) is not { } parked)
                {
                    return;
                }

                sandbox = parked;
                Interlocked.Increment(ref _warming);
            }

            Track(PreloadParkedAsync(sandbox, stoppingToken));
        }
    }

    /// <summary>When the loop should look again: at once when calm comes for sandboxes parked as booted.</summary>
    private TimeSpan NextCheck()
    {
        lock (_gate)
        {
            if (_booted.Count == 0 || _waiters.Count > 0 || _lastWaitTimestamp == 0)
            {
                return CheckInterval;
            }

            var untilCalm = PreloadAfterIdle - Stopwatch.GetElapsedTime(_lastWaitTimestamp);
            return untilCalm <= TimeSpan.Zero ? CheckInterval : TimeSpan.FromTicks(Math.Min(untilCalm.Ticks, CheckInterval.Ticks));
        }
    }

    /// <summary>Counts a warm-up task as in flight until it ends (the drain waits for all of them).</summary>
    private void Track(Task warming)
    {
        _inFlight.TryAdd(warming, 0);
        _ = warming.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
    }

    private TimeSpan BootTimeout => TimeSpan.FromSeconds(sandboxOptions.Value.BootTimeoutSec);

    /// <summary>Has a booted sandbox import its preloads and waits until it says ready.</summary>
    private async Task PreloadAsync(SandboxContainer sandbox, CancellationToken stoppingToken)
    {
        await sandbox.PreloadAsync(stoppingToken).ConfigureAwait(false);
        await sandbox.WaitUntilReadyAsync(BootTimeout, stoppingToken).ConfigureAwait(false);
    }

    private async Task PreloadParkedAsync(SandboxContainer sandbox, CancellationToken stoppingToken)
    {
        SandboxContainer? failed = sandbox;
        try
        {
            await PreloadAsync(sandbox, stoppingToken).ConfigureAwait(false);
            Offer(sandbox, mayDecline: false);
            failed = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            LogWarmFailed(ex);
        }
        finally
        {
            if (failed is not null)
            {
                await failed.DisposeAsync().ConfigureAwait(false);
            }

            Interlocked.Decrement(ref _warming);
            _wake.Release();
        }
    }

    private async Task WarmOneAsync(CancellationToken stoppingToken)
    {
        SandboxContainer? sandbox = null;
        try
        {
            sandbox = await SandboxContainer.StartAsync(containers, sandboxOptions.Value, Shape, PoolLabel, logger, stoppingToken)
                .ConfigureAwait(false);
            var boot = await sandbox.WaitUntilBootedAsync(BootTimeout, stoppingToken).ConfigureAwait(false);
            if (boot == SandboxBoot.Booted)
            {
                var placement = Offer(sandbox, mayDecline: true);
                if (placement != Placement.Declined)
                {
                    if (placement == Placement.HandedOver)
                    {
                        Interlocked.Increment(ref _bootedHandovers);
                    }

                    sandbox = null;
                    return;
                }

                await PreloadAsync(sandbox, stoppingToken).ConfigureAwait(false);
            }

            Offer(sandbox, mayDecline: false);
            sandbox = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            LogWarmFailed(ex);
            // A request waiting for this sandbox goes its own way and meets the failure itself.
            ReleaseWaiter();
            try
            {
                await Task.Delay(FailureBackoff, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: no point backing off.
            }
        }
        finally
        {
            if (sandbox is not null)
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
            }

            Interlocked.Decrement(ref _warming);
            _wake.Release();
        }
    }

    private async Task DropDeadAsync()
    {
        List<SandboxContainer> dead = [];
        lock (_gate)
        {
            foreach (var parked in new[] { _warm, _booted })
            {
                // One look at each: a sandbox that dies between two looks must not fall out of both lists.
                for (var i = parked.Count; i > 0; i--)
                {
                    var sandbox = parked.Dequeue();
                    if (sandbox.IsAlive)
                    {
                        parked.Enqueue(sandbox);
                    }
                    else
                    {
                        dead.Add(sandbox);
                    }
                }
            }
        }

        foreach (var sandbox in dead)
        {
            LogDiscarded(sandbox.Id);
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Where <see cref="Offer"/> put a sandbox.</summary>
    private enum Placement
    {
        HandedOver,
        Parked,
        Declined,
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm sandbox {ContainerId} died while parked; replacing it")]
    private partial void LogDiscarded(string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not warm a sandbox; retrying")]
    private partial void LogWarmFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No warm sandbox came within {Seconds} s; starting a cold one")]
    private partial void LogWaitedInVain(int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox pool drained: {Count} warm sandbox(es) removed")]
    private partial void LogDrained(int count);
}
