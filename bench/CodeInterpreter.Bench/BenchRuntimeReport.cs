namespace CodeInterpreter.Bench;

/// <summary>
/// The runtime column: single calls on a quiet, full pool of this build under runc and under gVisor
/// (runsc), measured in the same run, and issue 18's target for the pandas snippet under gVisor.
/// </summary>
internal static class BenchRuntimeReport
{
    /// <summary>Issue 18: the pooled pandas snippet under gVisor, p50.</summary>
    public const double GVisorPandasTargetMs = 80;

    /// <summary>What both runtimes are measured with.</summary>
    public static IReadOnlyList<Workload> Workloads { get; } = [Workload.Hello, Workload.Pandas];

    public static void Write(TextWriter output, BenchResults results)
    {
        output.WriteLine("### Runtime: runc vs gVisor (pool on, single call on a quiet pool)");
        output.WriteLine();
        if (results.GVisor is null)
        {
            output.WriteLine("The engine has no runsc runtime: gVisor was not measured.");
            output.WriteLine();
        }

        output.WriteLine("| runtime | workload | calls | p50 ms | p95 ms |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var (runtime, mode) in new[] { ("runc", results.PoolOn), ("runsc", results.GVisor) })
        {
            if (mode is null)
            {
                continue;
            }

            foreach (var workload in Workloads)
            {
                var phase = mode.Find(workload, PhaseKind.QuietPool);
                output.WriteLine(FormattableString.Invariant(
                    $"| {runtime} | {workload.Name} | {phase?.Requests ?? 0} | {BenchReport.Ms(ModeResult.P50(phase))} | {BenchReport.Ms(phase?.Latency.P95 ?? double.NaN)} |"));
            }
        }

        output.WriteLine();
        if (results.GVisor?.Find(Workload.Pandas, PhaseKind.QuietPool) is { } pandas)
        {
            var met = pandas.Latency.P50 <= GVisorPandasTargetMs ? "met" : "missed";
            output.WriteLine(FormattableString.Invariant(
                $"Target (issue 18): pooled pandas snippet under gVisor p50 <= {GVisorPandasTargetMs:0} ms: {met} ({BenchReport.Ms(pandas.Latency.P50)} ms)."));
            output.WriteLine();
        }
    }
}
