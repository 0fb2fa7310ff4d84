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

    private readonly ConcurrentQueue<SandboxContainer> _warm = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly Lock _drainGate = new();
    private Task? _drain;
    private int _warming;

    /// <summary>The shape every pooled sandbox has: the default limits and the preloads.</summary>
    public SandboxShape Shape { get; } = new(executionOptions.Value.MemoryLimitMb, poolOptions.Value.Preload.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>Warm sandboxes ready to lease now.</summary>
    public int WarmCount => _warm.Count;

    /// <summary>Takes a warm sandbox that fits <paramref name="shape"/>, or null (then the caller starts a cold one).</summary>
    public SandboxContainer? TryLease(SandboxShape shape)
    {
        // Settings fixed at creation (memory, CPU, network, image) must match; the rest travels in the request.
        if (poolOptions.Value.Size == 0 || shape != Shape)
        {
            return null;
        }

        while (_warm.TryDequeue(out var sandbox))
        {
            _wake.Release();
            if (sandbox.IsAlive)
            {
                return sandbox;
            }

            LogDiscarded(sandbox.Id);
            _ = sandbox.DisposeAsync().AsTask();
        }

        return null;
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
        var drained = 0;
        while (_warm.TryDequeue(out var sandbox))
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
            drained++;
        }

        LogDrained(drained);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    private void TopUp(CancellationToken stoppingToken)
    {
        var size = poolOptions.Value.Size;
        while (_warm.Count + Volatile.Read(ref _warming) < size && Volatile.Read(ref _warming) < poolOptions.Value.WarmupConcurrency)
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
            sandbox = await SandboxContainer.StartAsync(docker, resilience, settings, Shape, PoolLabel, logger, stoppingToken)
                .ConfigureAwait(false);
            await sandbox.WaitUntilReadyAsync(TimeSpan.FromSeconds(settings.BootTimeoutSec), stoppingToken).ConfigureAwait(false);
            _warm.Enqueue(sandbox);
            sandbox = null;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            LogWarmFailed(ex);
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
        for (var i = _warm.Count; i > 0 && _warm.TryDequeue(out var sandbox); i--)
        {
            if (sandbox.IsAlive)
            {
                _warm.Enqueue(sandbox);
                continue;
            }

            LogDiscarded(sandbox.Id);
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm sandbox {ContainerId} died while parked; replacing it")]
    private partial void LogDiscarded(string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not warm a sandbox; retrying")]
    private partial void LogWarmFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox pool drained: {Count} warm sandbox(es) removed")]
    private partial void LogDrained(int count);
}
