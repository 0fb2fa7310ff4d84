using System.Globalization;

namespace CodeInterpreter.Bench;

/// <summary>Writes a run as markdown: one table per mode, the comparison, memory, leaks and targets.</summary>
internal static class BenchReport
{
    private const string None = "-";

    public static void Write(TextWriter output, BenchResults results)
    {
        WriteHeader(output, results);
        WriteReference(output, results);
        WriteMode(output, results.PoolOn, $"Pool on (POOL_SIZE={results.PoolOn.PoolSize})");
        WriteMode(output, results.PoolOff, "Pool off (POOL_SIZE=0: a cold container per request)");
        WriteComparison(output, results);
        WriteResources(output, results);
        WriteFailures(output, results);
        output.WriteLine("### Targets");
        output.WriteLine();
        foreach (var target in BenchTargets.Judge(results))
        {
            output.WriteLine(target);
        }
    }

    public static string PhaseName(PhaseKind kind) => kind switch
    {
        PhaseKind.Sequential => "sequential",
        PhaseKind.SequentialWarmPool => "sequential, warm pool",
        _ => $"{BenchCounts.Clients} clients",
    };

    public static string Ms(double value) => double.IsNaN(value) ? None : value.ToString("0.0", CultureInfo.InvariantCulture);

    public static string Rate(double value) => double.IsNaN(value) ? None : value.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Times(double value) => double.IsNaN(value) ? None : value.ToString("0.0", CultureInfo.InvariantCulture) + "x";

    public static string Percent(double value) => double.IsNaN(value) ? None : value.ToString("0%", CultureInfo.InvariantCulture);

    private static void WriteHeader(TextWriter output, BenchResults results)
    {
        output.WriteLine("## Benchmark results");
        output.WriteLine();
        output.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Docker engine {results.EngineVersion}, image `{results.ExecutorImage}`, {(results.Options.Quick ? "--quick counts" : "full counts")}."));
        output.WriteLine("Latency is end-to-end HTTP time measured by the client (successful requests only); throughput is successful requests per second of wall time.");
        output.WriteLine(Invariant($"Each service first gets {results.Counts.ServiceWarmup} requests of all workloads from {BenchCounts.Clients} clients (not measured), so its JIT is settled, as in a long-running service."));
        output.WriteLine();
    }

    private static void WriteReference(TextWriter output, BenchResults results)
    {
        output.WriteLine("### Engine reference: create + start + wait + remove a container (`true`, executor image)");
        output.WriteLine();
        output.WriteLine("| loops | containers | failed | wall s | containers/s | p50 ms | p95 ms | CPU ms/container |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var churn in new[] { results.ReferenceSequential, results.ReferenceParallel })
        {
            output.WriteLine(Invariant($"| {churn.Parallelism} | {churn.Containers} | {churn.Failures} | {churn.Wall.TotalSeconds:0.0} | {Rate(churn.Rate)} | {Ms(churn.PerContainer.P50)} | {Ms(churn.PerContainer.P95)} | {Ms(churn.CpuMsPerContainer)} |"));
        }

        output.WriteLine();
    }

    private static void WriteMode(TextWriter output, ModeResult mode, string title)
    {
        output.WriteLine($"### {title}");
        output.WriteLine();
        output.WriteLine("| workload | phase | requests | failed | p50 ms | p95 ms | p99 ms | req/s | CPU ms/req |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var phase in mode.Phases)
        {
            // Warm-pool phases wait for the refill between requests, so their rate says nothing.
            var rate = phase.Kind == PhaseKind.SequentialWarmPool ? None : Rate(phase.Throughput);
            output.WriteLine(Invariant($"| {phase.Workload.Name} | {PhaseName(phase.Kind)} | {phase.Requests} | {phase.Failed} | {Ms(phase.Latency.P50)} | {Ms(phase.Latency.P95)} | {Ms(phase.Latency.P99)} | {rate} | {Ms(phase.CpuMsPerRequest)} |"));
        }

        output.WriteLine();
    }

    private static void WriteComparison(TextWriter output, BenchResults results)
    {
        var clients = BenchCounts.Clients;
        output.WriteLine("### Pool on vs pool off");
        output.WriteLine();
        output.WriteLine(Invariant($"Speed-up = sequential p50 pool off / p50 pool on. Engine share = {clients}-client throughput / engine reference rate with {clients} loops ({Rate(results.ReferenceParallel.Rate)} containers/s)."));
        output.WriteLine();
        output.WriteLine(Invariant($"| workload | p50 off ms | p50 on ms | speed-up | p50 on, warm pool ms | speed-up, warm pool | {clients} clients req/s on | {clients} clients req/s off | on / engine | off / engine |"));
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var workload in Workload.All)
        {
            output.WriteLine(ComparisonRow(results, workload));
        }

        output.WriteLine();
        WriteCpuBound(output, results);
    }

    /// <summary>What bounds throughput: machine CPU per request against the reference's per container.</summary>
    private static void WriteCpuBound(TextWriter output, BenchResults results)
    {
        var reference = results.ReferenceParallel.CpuMsPerContainer;
        if (double.IsNaN(reference))
        {
            return;
        }

        var cores = Environment.ProcessorCount;
        output.WriteLine(Invariant($"CPU bound ({cores} cores, whole machine): a reference container costs {Ms(reference)} CPU ms, so at most {Rate(cores * 1000 / reference)} containers/s."));
        foreach (var workload in Workload.All)
        {
            foreach (var (mode, name) in new[] { (results.PoolOn, "pool on"), (results.PoolOff, "pool off") })
            {
                var cpu = mode.Find(workload, PhaseKind.Concurrent)?.CpuMsPerRequest ?? double.NaN;
                if (!double.IsNaN(cpu))
                {
                    output.WriteLine(Invariant($"- {workload.Name}, {name}, {BenchCounts.Clients} clients: {Ms(cpu)} CPU ms per request ({Times(cpu / reference)} a reference container): at most {Rate(cores * 1000 / cpu)} req/s."));
                }
            }
        }

        output.WriteLine();
    }

    private static string ComparisonRow(BenchResults results, Workload workload)
    {
        var off = results.PoolOff.Find(workload, PhaseKind.Sequential);
        var on = results.PoolOn.Find(workload, PhaseKind.Sequential);
        var warm = results.PoolOn.Find(workload, PhaseKind.SequentialWarmPool);
        var concurrentOn = results.PoolOn.Find(workload, PhaseKind.Concurrent);
        var concurrentOff = results.PoolOff.Find(workload, PhaseKind.Concurrent);
        var reference = results.ReferenceParallel;
        return Invariant($"| {workload.Name} | {Ms(off?.Latency.P50 ?? double.NaN)} | {Ms(on?.Latency.P50 ?? double.NaN)} | {Times(BenchTargets.Ratio(off, on))} | {Ms(warm?.Latency.P50 ?? double.NaN)} | {Times(BenchTargets.Ratio(off, warm))} | {Rate(concurrentOn?.Throughput ?? double.NaN)} | {Rate(concurrentOff?.Throughput ?? double.NaN)} | {Percent(BenchTargets.Share(concurrentOn, reference))} | {Percent(BenchTargets.Share(concurrentOff, reference))} |");
    }

    private static void WriteResources(TextWriter output, BenchResults results)
    {
        output.WriteLine("### Memory and containers");
        output.WriteLine();
        foreach (var mode in new[] { results.PoolOn, results.PoolOff })
        {
            output.WriteLine(Invariant($"- Service RSS after the run, POOL_SIZE={mode.PoolSize}: {mode.ServiceMemory.ResidentMb:0.0} MiB (peak {mode.ServiceMemory.PeakResidentMb:0.0} MiB); stopped by SIGTERM {(mode.StoppedGracefully ? "within the deadline" : "NOT within the deadline (killed)")}."));
        }

        output.WriteLine(results.PoolOn.PoolMemory is { } memory
            ? Invariant($"- Pooled sandbox memory ({memory.Sandboxes} warm sandboxes, pandas preloaded; usage minus inactive page cache, as `docker stats`): min {memory.MinMb:0.0} / avg {memory.AverageMb:0.0} / max {memory.MaxMb:0.0} MiB (raw cgroup usage avg {memory.AverageRawUsageMb:0.0} MiB).")
            : "- Pooled sandbox memory: not measured (the pool never became warm).");
        if (results.PoolOn.WarmPoolTimeouts > 0)
        {
            output.WriteLine(Invariant($"- The pool was not warm within the wait {results.PoolOn.WarmPoolTimeouts} time(s); those requests were sent anyway."));
        }

        output.WriteLine(Invariant($"- Bench-labelled containers before: {results.Before.BenchOwned}, after: {results.After.BenchOwned}; this run's containers left: {results.After.ThisRun}."));
        output.WriteLine();
    }

    private static void WriteFailures(TextWriter output, BenchResults results)
    {
        var failed = new[] { results.PoolOn, results.PoolOff }
            .SelectMany(mode => mode.Phases.Where(p => p.Failed > 0).Select(p => (mode, p)))
            .ToList();
        if (failed.Count == 0)
        {
            return;
        }

        output.WriteLine("### Failed requests");
        output.WriteLine();
        foreach (var (mode, phase) in failed)
        {
            var reasons = string.Join(", ", phase.FailureReasons.Select(r => Invariant($"{r.Reason} x{r.Count}")));
            output.WriteLine(Invariant($"- POOL_SIZE={mode.PoolSize}, {phase.Workload.Name}, {PhaseName(phase.Kind)}: {reasons}"));
        }

        output.WriteLine();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
