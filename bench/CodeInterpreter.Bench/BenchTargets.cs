namespace CodeInterpreter.Bench;

/// <summary>
/// The issues' targets, judged on this run. Latency targets are judged on both sequential readings:
/// back-to-back (literally sequential; the pool drains when requests outrun its refill) and quiet pool
/// (each request finds a full, idle pool). At steady load (open loop), what a user waits should stay
/// close to that quiet single call of the same run: the ratio cancels out how fast this machine is.
/// </summary>
internal static class BenchTargets
{
    private const double HelloP50Ms = 25;
    private const double PandasP50Ms = 40;

    // python-executor reports about 250 ms per run; the facade's issue asks for an order of magnitude below.
    private const double PyExecEvalP50Ms = 25;
    private const double PandasSpeedUp = 10;
    private const double ThroughputShareOfEngine = 0.8;
    private const double OpenLoopOverQuietCall = 1.25;
    private const double SessionCallP50Ms = 2;

    public static IEnumerable<BenchTarget> Judge(BenchResults results)
    {
        foreach (var kind in new[] { PhaseKind.Sequential, PhaseKind.QuietPool })
        {
            yield return Latency(results.PoolOn, Workload.Hello, kind, HelloP50Ms);
            yield return Latency(results.PoolOn, Workload.Pandas, kind, PandasP50Ms);
            yield return Latency(results.PoolOn, Workload.PyExecEval, kind, PyExecEvalP50Ms);
            yield return SpeedUp(results, kind);
        }

        foreach (var workload in Workload.All)
        {
            yield return Throughput(results, workload);
        }

        foreach (var (workload, rate) in BenchCounts.OpenLoopRates)
        {
            yield return OpenLoop(results.PoolOn, workload, rate);
        }

        var session = ModeResult.P50(results.PoolOn.SessionCalls);
        yield return new BenchTarget(
            $"Session call p50 (`{Workload.SessionIncrement.Code}` in an open session) <= {SessionCallP50Ms:0} ms",
            $"{BenchReport.Ms(session, "0.00")} ms",
            session <= SessionCallP50Ms);

        yield return new BenchTarget(
            "No failed requests (this build, every phase)",
            $"{results.ThisBuildFailures} failed",
            results.ThisBuildFailures == 0);

        yield return new BenchTarget(
            "No container leaks (bench-labelled containers before = after, none of this run left)",
            $"before {results.Before.BenchOwned}, after {results.After.BenchOwned}, this run's left {results.After.ThisRun}",
            results.NoLeaks);
    }

    private static BenchTarget Latency(ModeResult poolOn, Workload workload, PhaseKind kind, double limitMs)
    {
        var p50 = poolOn.Find(workload, kind)?.Latency.P50 ?? double.NaN;
        return new BenchTarget(
            $"p50, {workload.Name}, pool on, {BenchReport.PhaseName(kind)} <= {limitMs:0} ms",
            $"{BenchReport.Ms(p50)} ms",
            p50 <= limitMs);
    }

    private static BenchTarget OpenLoop(ModeResult poolOn, Workload workload, double rate)
    {
        var phase = poolOn.FindOpenLoop(workload, rate);
        var quiet = poolOn.Find(workload, PhaseKind.QuietPool);
        var ratio = Ratio(phase, quiet);
        return new BenchTarget(
            FormattableString.Invariant($"Open-loop p50, {workload.Name} at {rate:0.##}/s <= {OpenLoopOverQuietCall:0.00}x the quiet single call of this run"),
            $"{BenchReport.Ms(ModeResult.P50(phase))} ms vs {BenchReport.Ms(ModeResult.P50(quiet))} ms ({BenchReport.Times(ratio, "0.00")})",
            ratio <= OpenLoopOverQuietCall);
    }

    private static BenchTarget SpeedUp(BenchResults results, PhaseKind poolOnKind)
    {
        var ratio = Ratio(results.PoolOff.Find(Workload.Pandas, PhaseKind.Sequential), results.PoolOn.Find(Workload.Pandas, poolOnKind));
        return new BenchTarget(
            $"Pandas snippet, pool on ({BenchReport.PhaseName(poolOnKind)}) >= {PandasSpeedUp:0}x faster than pool off (sequential p50)",
            $"{BenchReport.Times(ratio)}",
            ratio >= PandasSpeedUp);
    }

    private static BenchTarget Throughput(BenchResults results, Workload workload)
    {
        var share = Share(results.PoolOn.Find(workload, PhaseKind.Concurrent), results.ReferenceParallel);
        return new BenchTarget(
            $"{BenchCounts.Clients}-client throughput, {workload.Name}, pool on >= {BenchReport.Percent(ThroughputShareOfEngine)} of the engine's create+destroy rate ({BenchCounts.Clients} loops)",
            $"{BenchReport.Percent(share)}",
            share >= ThroughputShareOfEngine);
    }

    /// <summary>p50 of the slower phase over p50 of the faster one.</summary>
    public static double Ratio(PhaseResult? slower, PhaseResult? faster) =>
        slower is null || faster is null ? double.NaN : slower.Latency.P50 / faster.Latency.P50;

    /// <summary>A phase's throughput as a share of the engine reference rate.</summary>
    public static double Share(PhaseResult? phase, ChurnResult reference) =>
        phase is null || reference.Rate <= 0 ? double.NaN : phase.Throughput / reference.Rate;
}
