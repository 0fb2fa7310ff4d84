using System.Diagnostics;

namespace CodeInterpreter.Bench;

/// <summary>
/// The phases run against one service. With a pool, every phase (and every quiet single call) starts
/// from a full, idle pool on a quiet machine, so one phase's refills do not leak into the next one's
/// numbers.
/// </summary>
internal sealed class ModeSession(LoadPhases load, PoolObserver? pool, BenchCounts counts, string label)
{
    private static readonly TimeSpan PoolTimeout = TimeSpan.FromSeconds(60);

    private readonly List<PhaseResult> _phases = [];
    private readonly QuietGate? _quiet = pool is null ? null : new QuietGate(pool);
    private TimeSpan _quietWaits;

    public IReadOnlyList<PhaseResult> Phases => _phases;

    /// <summary>How often the pool did not become full and idle within the wait (the request or phase went ahead anyway).</summary>
    public int PoolNotIdle { get; private set; }

    /// <summary>How often the pool was idle but the machine stayed busy with other work (the request or phase went ahead anyway).</summary>
    public int MachineBusy { get; private set; }

    /// <summary>
    /// Warms the service up (results dropped), then waits for a full, idle pool and measures its
    /// sandboxes' memory (null without a pool).
    /// </summary>
    public async Task<SandboxMemory?> PrepareAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        BenchmarkRun.Progress($"warming the service up: {counts.ServiceWarmup} requests of all workloads, {BenchCounts.Clients} clients");
        await load.ServiceWarmUpAsync(Workload.All, counts.ServiceWarmup, BenchCounts.Clients, cancellationToken).ConfigureAwait(false);
        if (pool is null)
        {
            return null;
        }

        BenchmarkRun.Progress("waiting for the pool to be full and idle");
        await UntilQuietAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await pool.MeasureMemoryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The closed-loop phases of one workload: sequential, quiet single calls (pool on only), concurrent clients.</summary>
    public async Task RunWorkloadAsync(Workload workload, CancellationToken cancellationToken)
    {
        var poolOn = pool is not null;
        await WarmUpAsync(workload, cancellationToken).ConfigureAwait(false);

        await UntilQuietAsync(PoolTimeout, cancellationToken).ConfigureAwait(false);
        Add(await load.SequentialAsync(workload, poolOn ? counts.SequentialPoolOn : counts.SequentialPoolOff, cancellationToken).ConfigureAwait(false));

        if (poolOn)
        {
            await RunQuietCallsAsync(workload, cancellationToken).ConfigureAwait(false);
        }

        await UntilQuietAsync(PoolTimeout, cancellationToken).ConfigureAwait(false);
        var concurrent = poolOn ? counts.ConcurrentPoolOn : counts.ConcurrentPoolOff;
        Add(await load.ConcurrentAsync(workload, concurrent, BenchCounts.Clients, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A few requests of one workload whose results are dropped (first imports, connections).</summary>
    public Task WarmUpAsync(Workload workload, CancellationToken cancellationToken) =>
        load.WarmUpAsync(workload, counts.Warmup, cancellationToken);

    /// <summary>Single calls, each on a full, idle pool and a quiet machine.</summary>
    public async Task RunQuietCallsAsync(Workload workload, CancellationToken cancellationToken) =>
        Add(await load.QuietCallsAsync(workload, counts.QuietPool, ct => UntilQuietAsync(PoolTimeout, ct), cancellationToken).ConfigureAwait(false));

    /// <summary>Every open-loop phase of <see cref="BenchCounts.OpenLoopRates"/>, each from a full, idle pool.</summary>
    public async Task RunOpenLoopAsync(CancellationToken cancellationToken)
    {
        foreach (var (workload, rate) in BenchCounts.OpenLoopRates)
        {
            await UntilQuietAsync(PoolTimeout, cancellationToken).ConfigureAwait(false);
            Add(await load.OpenLoopAsync(workload, rate, counts.OpenLoop, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>New 2-package sets from the wheelhouse: each one's first request, then the same set again.</summary>
    public async Task RunPackagesAsync(CancellationToken cancellationToken)
    {
        await UntilQuietAsync(PoolTimeout, cancellationToken).ConfigureAwait(false);
        var (first, built) = await load.PackagesAsync(counts.PackageSets, counts.PackageRepeats, cancellationToken).ConfigureAwait(false);
        Add(first);
        Add(built);
    }

    public async Task RunSessionCallsAsync(CancellationToken cancellationToken)
    {
        await UntilQuietAsync(PoolTimeout, cancellationToken).ConfigureAwait(false);
        Add(await load.SessionCallsAsync(counts.SessionCalls, cancellationToken).ConfigureAwait(false));
    }

    private void Add(PhaseResult phase)
    {
        _phases.Add(phase);
        var detail = phase.IsClosedLoop ? $", {BenchReport.Rate(phase.Throughput)} req/s"
            : phase.Kind == PhaseKind.OpenLoop ? $", latest send {BenchReport.Ms(phase.MaxSendLag.TotalMilliseconds)} ms behind the clock"
            : "";
        var waited = pool is null ? "" : $" (waited {_quietWaits.TotalSeconds:0.0} s for a quiet pool so far)";
        BenchmarkRun.Progress(
            $"{label}: {BenchReport.PhaseTitle(phase)}: {phase.Requests} requests, {phase.Failed} failed, p50 {BenchReport.Ms(phase.Latency.P50)} ms{detail}{waited}");
    }

    private async Task UntilQuietAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_quiet is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var wait = await _quiet.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        _quietWaits += Stopwatch.GetElapsedTime(started);
        switch (wait)
        {
            case QuietWait.PoolNotIdle:
                PoolNotIdle++;
                BenchmarkRun.Progress($"the pool was not full and idle within {timeout.TotalSeconds} s; going ahead");
                break;
            case QuietWait.MachineBusy:
                MachineBusy++;
                BenchmarkRun.Progress("the pool is idle but the machine stays busy (other work?); going ahead");
                break;
            case QuietWait.Quiet:
                break;
        }
    }
}
