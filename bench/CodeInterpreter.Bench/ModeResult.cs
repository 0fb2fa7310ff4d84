namespace CodeInterpreter.Bench;

/// <summary>Everything measured against one service process (one build, one POOL_SIZE).</summary>
internal sealed record ModeResult(
    string Label,
    int PoolSize,
    IReadOnlyList<PhaseResult> Phases,
    ServiceMemory ServiceMemory,
    SandboxMemory? PoolMemory,
    int PoolNotIdle,
    int MachineBusy,
    bool StoppedGracefully)
{
    public bool PoolOn => PoolSize > 0;

    public PhaseResult? Find(Workload workload, PhaseKind kind) =>
        Phases.FirstOrDefault(p => p.Workload == workload && p.Kind == kind);

    public PhaseResult? FindOpenLoop(Workload workload, double rate) =>
        Phases.FirstOrDefault(p => p.Workload == workload && p.Kind == PhaseKind.OpenLoop && p.OfferedRate.Equals(rate));

    public PhaseResult? SessionCalls => Phases.FirstOrDefault(p => p.Kind == PhaseKind.SessionCall);

    /// <summary>The p50 of a phase, NaN when it was not run or nothing succeeded.</summary>
    public static double P50(PhaseResult? phase) => phase?.Latency.P50 ?? double.NaN;
}
