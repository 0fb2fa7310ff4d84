using System.Globalization;

namespace CodeInterpreter.Bench;

/// <summary>
/// Writes a run as markdown: the engine reference, one table per mode, pool on vs off, what users see
/// at steady load (single calls, open loop, session, the reference's design), the A/B comparison,
/// memory, leaks and targets.
/// </summary>
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
        WriteSteadyLoad(output, results);
        WriteReferenceDesign(output, results);
        WriteBaseline(output, results);
        BenchRuntimeReport.Write(output, results);
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
        PhaseKind.QuietPool => "single call, quiet pool",
        PhaseKind.Concurrent => $"{BenchCounts.Clients} clients",
        PhaseKind.OpenLoop => "open loop",
        PhaseKind.SessionCall => "session call",
        PhaseKind.ReferenceDesign => "the reference's design",
        PhaseKind.PackagesFirstRequest => "first request with a new 2-package set (built)",
        PhaseKind.PackagesBuilt => "the same set again",
        _ => kind.ToString(),
    };

    /// <summary>What a phase was, in a progress line or a failure list.</summary>
    public static string PhaseTitle(PhaseResult phase) => phase.Kind switch
    {
        PhaseKind.OpenLoop => Invariant($"{phase.Workload.Name}, open loop {phase.OfferedRate:0.##}/s"),
        PhaseKind.SessionCall => $"session call `{phase.Workload.Code}`",
        _ => $"{phase.Workload.Name}, {PhaseName(phase.Kind)}",
    };

    public static string Ms(double value, string format = "0.0") => double.IsNaN(value) ? None : value.ToString(format, CultureInfo.InvariantCulture);

    public static string Rate(double value) => double.IsNaN(value) ? None : value.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Times(double value, string format = "0.0") => double.IsNaN(value) ? None : value.ToString(format, CultureInfo.InvariantCulture) + "x";

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
        foreach (var phase in mode.Phases.Where(p => p.IsClosedLoop || p.Kind == PhaseKind.QuietPool))
        {
            // Quiet single calls wait for the refill and a quiet machine between requests, so their
            // rate and CPU per request say nothing.
            var rate = phase.IsClosedLoop ? Rate(phase.Throughput) : None;
            var cpu = phase.IsClosedLoop ? Ms(phase.CpuMsPerRequest) : None;
            output.WriteLine(Invariant($"| {phase.Workload.Name} | {PhaseName(phase.Kind)} | {phase.Requests} | {phase.Failed} | {Ms(phase.Latency.P50)} | {Ms(phase.Latency.P95)} | {Ms(phase.Latency.P99)} | {rate} | {cpu} |"));
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
        output.WriteLine(Invariant($"| workload | p50 off ms | p50 on ms | speed-up | p50 on, quiet pool ms | speed-up, quiet pool | {clients} clients req/s on | {clients} clients req/s off | on / engine | off / engine |"));
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
        var warm = results.PoolOn.Find(workload, PhaseKind.QuietPool);
        var concurrentOn = results.PoolOn.Find(workload, PhaseKind.Concurrent);
        var concurrentOff = results.PoolOff.Find(workload, PhaseKind.Concurrent);
        var reference = results.ReferenceParallel;
        return Invariant($"| {workload.Name} | {Ms(off?.Latency.P50 ?? double.NaN)} | {Ms(on?.Latency.P50 ?? double.NaN)} | {Times(BenchTargets.Ratio(off, on))} | {Ms(warm?.Latency.P50 ?? double.NaN)} | {Times(BenchTargets.Ratio(off, warm))} | {Rate(concurrentOn?.Throughput ?? double.NaN)} | {Rate(concurrentOff?.Throughput ?? double.NaN)} | {Percent(BenchTargets.Share(concurrentOn, reference))} | {Percent(BenchTargets.Share(concurrentOff, reference))} |");
    }

    private static void WriteSteadyLoad(TextWriter output, BenchResults results)
    {
        var mode = results.PoolOn;
        output.WriteLine(Invariant($"### What users see at steady load (this build, POOL_SIZE={mode.PoolSize})"));
        output.WriteLine();
        output.WriteLine(Invariant($"Single calls: each waits until `/health/ready` reports the pool full and idle (all sandboxes ready with their preloads, none booting, no request waiting) and the machine is quiet (under {Percent(QuietGate.QuietBusyShare)} busy over {QuietGate.CpuWindow.TotalMilliseconds:0} ms), as for an agent that thinks between calls. Session call: `x += 1` back-to-back in one open session (its persistent interpreter), after `x = 0`; the session ends with a check that `x` counted every call. Packages: `requirements: [\"ci-alpha\", \"ci-beta!=0.<n>\"]` (two tiny pure-Python wheels, one depending on the other, from a wheelhouse made by the bench), a set new to the service each time: its first request builds the environment; the same set again finds it built (both run in a cold sandbox with the environment mounted)."));
        output.WriteLine();
        output.WriteLine("| call | requests | failed | p50 ms | p95 ms | p99 ms |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        var calls = BenchCounts.SingleCallWorkloads.Select(w => mode.Find(w, PhaseKind.QuietPool)).Append(mode.SessionCalls)
            .Append(mode.Find(Workload.Packages, PhaseKind.PackagesFirstRequest)).Append(mode.Find(Workload.Packages, PhaseKind.PackagesBuilt));
        foreach (var phase in calls.OfType<PhaseResult>())
        {
            // Session calls take a few milliseconds: one decimal would hide the target's edge.
            var format = phase.Kind == PhaseKind.SessionCall ? "0.00" : "0.0";
            output.WriteLine(Invariant($"| {PhaseTitle(phase)} | {phase.Requests} | {phase.Failed} | {Ms(phase.Latency.P50, format)} | {Ms(phase.Latency.P95, format)} | {Ms(phase.Latency.P99, format)} |"));
        }

        output.WriteLine();
        output.WriteLine("Open loop: requests sent on a clock, one every 1/rate seconds whether the earlier ones answered or not (as independent users send them), each phase from a full, idle pool. \"Send lag\" is how late the bench client sent its latest request against the clock (its own scheduling; the latency counts from the actual send).");
        output.WriteLine();
        output.WriteLine("| workload | rate/s | requests | failed | p50 ms | p95 ms | p99 ms | p50 / quiet single call | send lag ms |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (workload, rate) in BenchCounts.OpenLoopRates)
        {
            if (mode.FindOpenLoop(workload, rate) is { } phase)
            {
                var ratio = BenchTargets.Ratio(phase, mode.Find(workload, PhaseKind.QuietPool));
                output.WriteLine(Invariant($"| {workload.Name} | {rate:0.##} | {phase.Requests} | {phase.Failed} | {Ms(phase.Latency.P50)} | {Ms(phase.Latency.P95)} | {Ms(phase.Latency.P99)} | {Times(ratio)} | {Ms(phase.MaxSendLag.TotalMilliseconds)} |"));
            }
        }

        output.WriteLine();
    }

    private static void WriteReferenceDesign(TextWriter output, BenchResults results)
    {
        output.WriteLine("### The reference's design on the same image");
        output.WriteLine();
        output.WriteLine("Per call, sequentially, driven directly on the engine: create a container (`sleep infinity`, no network, the image's non-root user, 256 MB, no log), start it, exec `sh -c 'printf ... > /tmp/main.py'`, exec `python3 /tmp/main.py`, exec `find /workspace -type f`, then remove it (force). Latency is to the answer (files listed); the removal is not counted (it can follow the answer) but ends before the next call. Speed-up = its p50 / this build's p50 (POOL_SIZE on).");
        output.WriteLine();
        output.WriteLine("| workload | calls | failed | p50 ms | p95 ms | CPU ms/call | speed-up over it: quiet single call | speed-up: open loop 1/s |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var phase in results.ReferenceDesign)
        {
            var quiet = BenchTargets.Ratio(phase, results.PoolOn.Find(phase.Workload, PhaseKind.QuietPool));
            var openLoop = BenchTargets.Ratio(phase, results.PoolOn.FindOpenLoop(phase.Workload, 1));
            output.WriteLine(Invariant($"| {phase.Workload.Name} | {phase.Requests} | {phase.Failed} | {Ms(phase.Latency.P50)} | {Ms(phase.Latency.P95)} | {Ms(phase.CpuMsPerRequest)} | {Times(quiet)} | {Times(openLoop)} |"));
        }

        output.WriteLine();
    }

    private static void WriteBaseline(TextWriter output, BenchResults results)
    {
        if (results.Baseline is not { } baseline)
        {
            return;
        }

        output.WriteLine("### A/B: this build vs baseline");
        output.WriteLine();
        output.WriteLine(Invariant($"Baseline: `{results.Options.BaselineApiDll}` on image `{results.Options.BaselineImage ?? results.ExecutorImage}`, POOL_SIZE={baseline.PoolSize}, started alone right after this build's pool-on phases, with the same warm-up. Change = (this build - baseline) / baseline; negative is faster."));
        if (results.PoolOn.MachineBusy + baseline.MachineBusy > 0)
        {
            output.WriteLine(Invariant($"**The machine was busy with other work** during {results.PoolOn.MachineBusy} of this build's and {baseline.MachineBusy} of the baseline's quiet waits: the comparison is noisy."));
        }

        output.WriteLine();
        output.WriteLine("| measurement | this build p50 ms | baseline p50 ms | change | this build p95 ms | baseline p95 ms |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        var pairs = BenchCounts.SingleCallWorkloads
            .Select(w => (Current: results.PoolOn.Find(w, PhaseKind.QuietPool), Base: baseline.Find(w, PhaseKind.QuietPool)))
            .Concat(BenchCounts.OpenLoopRates.Select(r => (Current: results.PoolOn.FindOpenLoop(r.Workload, r.Rate), Base: baseline.FindOpenLoop(r.Workload, r.Rate))));
        foreach (var (current, before) in pairs)
        {
            if (current is null || before is null)
            {
                continue;
            }

            var change = ModeResult.P50(current) / ModeResult.P50(before) - 1;
            output.WriteLine(Invariant($"| {PhaseTitle(current)} | {Ms(current.Latency.P50)} | {Ms(before.Latency.P50)} | {SignedPercent(change)} | {Ms(current.Latency.P95)} | {Ms(before.Latency.P95)} |"));
        }

        output.WriteLine();
    }

    private static string SignedPercent(double value) => double.IsNaN(value) ? None : value.ToString("+0%;-0%;0%", CultureInfo.InvariantCulture);

    private static void WriteResources(TextWriter output, BenchResults results)
    {
        output.WriteLine("### Memory and containers");
        output.WriteLine();
        foreach (var mode in results.Modes)
        {
            output.WriteLine(Invariant($"- Service RSS after the run, {mode.Label}, POOL_SIZE={mode.PoolSize}: {mode.ServiceMemory.ResidentMb:0.0} MiB (peak {mode.ServiceMemory.PeakResidentMb:0.0} MiB); stopped by SIGTERM {(mode.StoppedGracefully ? "within the deadline" : "NOT within the deadline (killed)")}."));
        }

        output.WriteLine(results.PoolOn.PoolMemory is { } memory
            ? Invariant($"- Pooled sandbox memory ({memory.Sandboxes} warm sandboxes, pandas preloaded; usage minus inactive page cache, as `docker stats`): min {memory.MinMb:0.0} / avg {memory.AverageMb:0.0} / max {memory.MaxMb:0.0} MiB (raw cgroup usage avg {memory.AverageRawUsageMb:0.0} MiB).")
            : "- Pooled sandbox memory: not measured (the pool never became warm).");
        foreach (var mode in results.Modes.Where(m => m.PoolNotIdle + m.MachineBusy > 0))
        {
            output.WriteLine(Invariant($"- {mode.Label}: the pool was not full and idle within the wait {mode.PoolNotIdle} time(s), the machine was busy with other work {mode.MachineBusy} time(s); those requests were sent anyway."));
        }

        output.WriteLine(Invariant($"- Bench-labelled containers before: {results.Before.BenchOwned}, after: {results.After.BenchOwned}; this run's containers left: {results.After.ThisRun}."));
        output.WriteLine();
    }

    private static void WriteFailures(TextWriter output, BenchResults results)
    {
        var failed = results.Modes
            .SelectMany(mode => mode.Phases.Where(p => p.Failed > 0).Select(p => (Where: $"{mode.Label}, POOL_SIZE={mode.PoolSize}", Phase: p)))
            .Concat(results.ReferenceDesign.Where(p => p.Failed > 0).Select(p => (Where: "engine", Phase: p)))
            .ToList();
        if (failed.Count == 0)
        {
            return;
        }

        output.WriteLine("### Failed requests");
        output.WriteLine();
        foreach (var (where, phase) in failed)
        {
            var reasons = string.Join(", ", phase.FailureReasons.Select(r => Invariant($"{r.Reason} x{r.Count}")));
            output.WriteLine($"- {where}, {PhaseTitle(phase)}: {reasons}");
        }

        output.WriteLine();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
