namespace CodeInterpreter.Bench;

/// <summary>A whole run, as the report needs it. <see cref="Baseline"/> is null without --baseline-api-dll.</summary>
internal sealed record BenchResults(
    BenchOptions Options,
    BenchCounts Counts,
    string ExecutorImage,
    string EngineVersion,
    ChurnResult ReferenceSequential,
    ChurnResult ReferenceParallel,
    IReadOnlyList<PhaseResult> ReferenceDesign,
    ModeResult PoolOn,
    ModeResult? Baseline,
    ModeResult PoolOff,
    ContainerCount Before,
    ContainerCount After)
{
    public bool NoLeaks => After.BenchOwned == Before.BenchOwned && After.ThisRun == 0;

    /// <summary>This build's modes (the baseline is only compared with).</summary>
    public IEnumerable<ModeResult> ThisBuild => [PoolOn, PoolOff];

    public IEnumerable<ModeResult> Modes => Baseline is null ? ThisBuild : [PoolOn, Baseline, PoolOff];

    public int ThisBuildFailures => ThisBuild.Sum(m => m.Phases.Sum(p => p.Failed));

    public bool FailedMassively => Modes.SelectMany(m => m.Phases).Concat(ReferenceDesign).Any(p => p.FailedMassively);
}
