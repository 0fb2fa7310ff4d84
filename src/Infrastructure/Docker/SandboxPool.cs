using System.Collections.Concurrent;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Keeps POOL_SIZE sandboxes started, their runner booted with SANDBOX_PRELOAD imported, each waiting
/// for exactly one request. A lease takes one out for good (it is destroyed after its request) and
/// the pool refills in the background. Sandboxes that die while parked (an engine restart) are
/// dropped and replaced.
/// <para>
/// When the pool is empty a request waits for the next sandbox rather than starting its own: more
/// are started for the waiting requests, and a sandbox that boots while a request waits is handed
/// over before it imports the preloads (the code imports what it needs itself). Under load no CPU
/// goes to preloads nobody waits for; when idle every sandbox is fully warmed.
/// </para>
/// </summary>
internal sealed partial class SandboxPool(
    IDockerClient docker,
    EngineResilience resilience,
    ServiceReadiness readiness,
    IOptions<SandboxOptions> sandboxOptions,
    IOptions<PoolOptions> poolOptions,
    IOptions<ExecutionOptions> executionOptions,
    ILogger<SandboxPool> logger) : BackgroundService
{
    private const string PoolLabel = "pool";
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly Queue<SandboxContainer> _warm = new();
    private readonly LinkedList<TaskCompletionSource<SandboxContainer?>> _waiters = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Lock _drainGate = new();
    private Task? _drain;
    private bool _draining;
    private int _warming;
    private long _bootedHandovers;

    /// <summary>The shape every pooled sandbox has: the default limits and the preloads.</summary>
    public SandboxShape Shape { get; } = new(executionOptions.Value.MemoryLimitMb, poolOptions.Value.Preload.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Warm sandboxes ready to lease now.</summary>
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
            while (_warm.TryDequeue(out var sandbox))
            {
                if (sandbox.IsAlive)
                {
                    _wake.Release();
                    return sandbox;
                }

                LogDiscarded(sandbox.Id);
                _ = sandbox.DisposeAsync().AsTask();
            }

            if (_draining || !readiness.IsReady)
            {
                return null;
            }

            waiter = new TaskCompletionSource<SandboxContainer?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.AddLast(waiter);
        }

        _wake.Release();
        try
        {
            return await waiter.Task.WaitAsync(TimeSpan.FromSeconds(sandboxOptions.Value.BootTimeoutSec), cancellationToken)
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
                // Handed over just as the wait ended: give it to the next request instead (if it was
                // handed over booted, it simply serves that request without its preloads).
                Offer(late, ready: true);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            LogWaitedInVain(sandboxOptions.Value.BootTimeoutSec);
            return null;
        }
    }

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

    /// <summary>
    /// Hands a sandbox to the longest-waiting request. A ready one with nobody waiting is parked;
    /// a booted one (preloads pending) is not, and false tells the caller to warm it further.
    /// </summary>
    private bool Offer(SandboxContainer sandbox, bool ready)
    {
        lock (_gate)
        {
            if (HandToWaiter(sandbox))
            {
                return true;
            }

            if (ready)
            {
                _warm.Enqueue(sandbox);
                return true;
            }

            return false;
        }
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
                }

                await _wake.WaitAsync(CheckInterval, stoppingToken).ConfigureAwait(false);
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
            warm = [.. _warm];
            _warm.Clear();
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
        while (WarmCount + Volatile.Read(ref _warming) < target && Volatile.Read(ref _warming) < concurrency)
        {
            Interlocked.Increment(ref _warming);
            var warming = WarmOneAsync(stoppingToken);
            _inFlight.TryAdd(warming, 0);
            _ = warming.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
        }
    }

    private async Task WarmOneAsync(CancellationToken stoppingToken)
    {
        SandboxContainer? sandbox = null;
        try
        {
            var settings = sandboxOptions.Value;
            var bootTimeout = TimeSpan.FromSeconds(settings.BootTimeoutSec);
            sandbox = await SandboxContainer.StartAsync(docker, resilience, settings, Shape, PoolLabel, logger, stoppingToken)
                .ConfigureAwait(false);
            var boot = await sandbox.WaitUntilBootedAsync(bootTimeout, stoppingToken).ConfigureAwait(false);
            if (boot == SandboxBoot.Booted)
            {
                if (Offer(sandbox, ready: false))
                {
                    Interlocked.Increment(ref _bootedHandovers);
                    sandbox = null;
                    return;
                }

                await sandbox.PreloadAsync(stoppingToken).ConfigureAwait(false);
                await sandbox.WaitUntilReadyAsync(bootTimeout, stoppingToken).ConfigureAwait(false);
            }

            Offer(sandbox, ready: true);
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
            // One look at each: a sandbox that dies between two looks must not fall out of both lists.
            for (var i = _warm.Count; i > 0; i--)
            {
                var sandbox = _warm.Dequeue();
                if (sandbox.IsAlive)
                {
                    _warm.Enqueue(sandbox);
                }
                else
                {
                    dead.Add(sandbox);
                }
            }
        }

        foreach (var sandbox in dead)
        {
            LogDiscarded(sandbox.Id);
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
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
