namespace CodeInterpreter.Bench;

/// <summary>Everything measured against one service process (one POOL_SIZE).</summary>
internal sealed record ModeResult(
    int PoolSize,
    IReadOnlyList<PhaseResult> Phases,
    ServiceMemory ServiceMemory,
    SandboxMemory? PoolMemory,
    int WarmPoolTimeouts,
    bool StoppedGracefully)
{
    public bool PoolOn => PoolSize > 0;

    public PhaseResult? Find(Workload workload, PhaseKind kind) =>
        Phases.FirstOrDefault(p => p.Workload == workload && p.Kind == kind);
}
