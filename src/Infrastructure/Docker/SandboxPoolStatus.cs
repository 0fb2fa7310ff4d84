namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The warm pools as the probes and /metrics see them: the default pool (<see cref="SandboxPool"/>), the pools of
/// POOL_ENVIRONMENTS (<see cref="EnvironmentPools"/>), and how often a request of the default shape found a warm sandbox.
/// </summary>
internal sealed class SandboxPoolStatus(SandboxPool pool, EnvironmentPools environmentPools) : ISandboxPoolStatus
{
    private long _hits;
    private long _misses;

    public string Runtime => pool.Runtime;

    public SandboxPoolSnapshot Snapshot() => pool.Snapshot();

    public IReadOnlyList<EnvironmentPoolSnapshot> EnvironmentPools() =>
    [
        .. environmentPools.Pools.Select(p => new EnvironmentPoolSnapshot(
            p.Label, p.State.ToString().ToLowerInvariant(), p.Hash, p.Size, p.Parked, p.Warming, new PoolLeaseCounts(p.Hits, p.Misses), p.Failures)),
    ];

    public PoolLeaseCounts DefaultLeases() => new(Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>Counts a request of the default pool's shape: it got a warm sandbox, or started a cold one (not counted with POOL_SIZE=0).</summary>
    public void RecordDefaultLease(bool hit)
    {
        if (hit || pool.Snapshot().Size > 0)
        {
            Interlocked.Increment(ref hit ? ref _hits : ref _misses);
        }
    }
}
