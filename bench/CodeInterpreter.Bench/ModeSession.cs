using System.Diagnostics;

namespace CodeInterpreter.Bench;

/// <summary>
/// The phases run against one service. With a pool, every phase starts from a warm pool, so one
/// phase's drained pool does not leak into the next one's numbers.
/// </summary>
internal sealed class ModeSession(LoadPhases load, PoolObserver? pool, BenchCounts counts)
{
    private readonly List<PhaseResult> _phases = [];
    private TimeSpan _warmWaits;

    public IReadOnlyList<PhaseResult> Phases => _phases;

    /// <summary>How often the pool did not become warm within the wait (the request or phase went ahead anyway).</summary>
    public int WarmPoolTimeouts { get; private set; }

    /// <summary>
    /// Warms the service up (results dropped), then waits for a warm pool and measures its
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

        BenchmarkRun.Progress("waiting for the pool to be warm");
        await UntilWarmAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await pool.MeasureMemoryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RunWorkloadAsync(Workload workload, TimeSpan perRequestTimeout, TimeSpan phaseTimeout, CancellationToken cancellationToken)
    {
        var poolOn = pool is not null;
        await load.WarmUpAsync(workload, counts.Warmup, cancellationToken).ConfigureAwait(false);

        await UntilWarmAsync(phaseTimeout, cancellationToken).ConfigureAwait(false);
        Add(await load.SequentialAsync(workload, poolOn ? counts.SequentialPoolOn : counts.SequentialPoolOff, cancellationToken).ConfigureAwait(false));

        if (poolOn)
        {
            Add(await load.SequentialWarmPoolAsync(
                workload, counts.WarmPoolPoolOn, ct => UntilWarmAsync(perRequestTimeout, ct), cancellationToken).ConfigureAwait(false));
        }

        await UntilWarmAsync(phaseTimeout, cancellationToken).ConfigureAwait(false);
        var concurrent = poolOn ? counts.ConcurrentPoolOn : counts.ConcurrentPoolOff;
        Add(await load.ConcurrentAsync(workload, concurrent, BenchCounts.Clients, cancellationToken).ConfigureAwait(false));
    }

    private void Add(PhaseResult phase)
    {
        _phases.Add(phase);
        var rate = phase.Kind == PhaseKind.SequentialWarmPool ? "" : $", {BenchReport.Rate(phase.Throughput)} req/s";
        var waited = pool is null ? "" : $" (waited {_warmWaits.TotalSeconds:0.0} s for a warm pool so far)";
        BenchmarkRun.Progress(
            $"{(pool is null ? "pool off" : "pool on")}: {phase.Workload.Name}, {BenchReport.PhaseName(phase.Kind)}: {phase.Requests} requests, {phase.Failed} failed, p50 {BenchReport.Ms(phase.Latency.P50)} ms{rate}{waited}");
    }

    private async Task UntilWarmAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (pool is null)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var warm = await pool.WaitUntilWarmAsync(timeout, cancellationToken).ConfigureAwait(false);
        _warmWaits += Stopwatch.GetElapsedTime(started);
        if (!warm)
        {
            WarmPoolTimeouts++;
            BenchmarkRun.Progress($"the pool was not warm within {timeout.TotalSeconds} s; going ahead");
        }
    }
}
