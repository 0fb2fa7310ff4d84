namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>What the warm pool holds right now, and the runtime its sandboxes run under (for the probes and operators).</summary>
public interface ISandboxPoolStatus
{
    /// <summary>The container runtime of every sandbox (EXECUTOR_RUNTIME: runc or runsc).</summary>
    string Runtime { get; }

    SandboxPoolSnapshot Snapshot();

    /// <summary>The pools of POOL_ENVIRONMENTS, one per requirement set, in their configured order.</summary>
    IReadOnlyList<EnvironmentPoolSnapshot> EnvironmentPools();

    /// <summary>Requests of the default pool's shape that got a warm sandbox (hits) and that started a cold one (misses).</summary>
    PoolLeaseCounts DefaultLeases();
}

/// <summary>Requests that got a warm sandbox from a pool (<paramref name="Hits"/>) or had to start a cold one (<paramref name="Misses"/>).</summary>
public sealed record PoolLeaseCounts(long Hits, long Misses);

/// <summary>
/// One look at the pool of one POOL_ENVIRONMENTS set: its <paramref name="Requirements"/> (normalised, in one
/// line), its <paramref name="State"/> (pending: being built or retried; warm; image: the executor image has it
/// all; unavailable: skipped, no package source), the environment's <paramref name="Hash"/> once built, its
/// <paramref name="Size"/> (POOL_ENVIRONMENT_SIZE), the sandboxes <paramref name="Ready"/> and
/// <paramref name="Starting"/>, its <paramref name="Leases"/>, and how often its environment could not be had
/// (<paramref name="Failures"/>: failed builds, each retried).
/// </summary>
public sealed record EnvironmentPoolSnapshot(
    string Requirements, string State, string? Hash, int Size, int Ready, int Starting, PoolLeaseCounts Leases, long Failures);
