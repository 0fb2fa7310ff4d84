namespace CodeInterpreter.Bench;

/// <summary>
/// A whole run, as the report needs it. <see cref="Baseline"/> is null without --baseline-api-dll;
/// <see cref="GVisor"/> (pool on under runsc) is null when the engine has no runsc runtime.
/// </summary>
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
    ModeResult? GVisor,
    ContainerCount Before,
    ContainerCount After)
{
    public bool NoLeaks => After.BenchOwned == Before.BenchOwned && After.ThisRun == 0;

    /// <summary>This build's modes (the baseline is only compared with).</summary>
    public IEnumerable<ModeResult> ThisBuild => [PoolOn, PoolOff];

    public IEnumerable<ModeResult> Modes =>
        new[] { PoolOn, Baseline, PoolOff, GVisor }.OfType<ModeResult>();

    public int ThisBuildFailures => ThisBuild.Sum(m => m.Phases.Sum(p => p.Failed));

    public bool FailedMassively => Modes.SelectMany(m => m.Phases).Concat(ReferenceDesign).Any(p => p.FailedMassively);
}
