namespace CodeInterpreter.Bench;

/// <summary>A whole run, as the report needs it.</summary>
internal sealed record BenchResults(
    BenchOptions Options,
    BenchCounts Counts,
    string ExecutorImage,
    string EngineVersion,
    ChurnResult ReferenceSequential,
    ChurnResult ReferenceParallel,
    ModeResult PoolOn,
    ModeResult PoolOff,
    ContainerCount Before,
    ContainerCount After)
{
    public bool NoLeaks => After.BenchOwned == Before.BenchOwned && After.ThisRun == 0;

    public bool FailedMassively => PoolOn.Phases.Concat(PoolOff.Phases).Any(p => p.FailedMassively);
}
