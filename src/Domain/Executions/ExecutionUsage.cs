namespace CodeInterpreter.Domain.Executions;

/// <summary>What running the code cost, as measured in its sandbox.</summary>
/// <param name="CpuMs">CPU time (user + system) of the code and every process it started, from the sandbox's cgroup; null when unknown (a timed-out run, an unreadable cgroup).</param>
/// <param name="PeakMemoryBytes">The sandbox's peak memory from its cgroup (runner and preloaded modules included; a session's peak since it started); null when unknown.</param>
/// <param name="WallMs">Wall-clock time of the code, as the runner measured it (the service's own timing when the runner could not report).</param>
public sealed record ExecutionUsage(long? CpuMs, long? PeakMemoryBytes, long WallMs);
