using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Bench;

/// <summary>Watches one service's warm pool from the engine's side (the service exposes no pool metrics).</summary>
internal sealed class PoolObserver(IDockerClient docker, string instance, int poolSize)
{
    private const double Mebibyte = 1024 * 1024;

    // A booted runner blocks on stdin and uses no CPU; one still importing pandas burns it steadily.
    private static readonly TimeSpan IdleSample = TimeSpan.FromMilliseconds(300);
    private const ulong IdleCpuNanoseconds = 5_000_000;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// True once <c>poolSize</c> parked sandboxes are running and idle. The execution-id label cannot
    /// tell a booting sandbox from a ready one (labels never change), so readiness is judged by CPU:
    /// the runner sits idle only after its preloads are imported.
    /// </summary>
    public async Task<bool> WaitUntilWarmAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var parked = await ListParkedAsync(cancellationToken).ConfigureAwait(false);
            if (parked.Count >= poolSize && await AllIdleAsync(parked, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    public async Task<SandboxMemory?> MeasureMemoryAsync(CancellationToken cancellationToken)
    {
        var samples = new List<(double Working, double Raw)>();
        foreach (var id in await ListParkedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await StatsAsync(id, cancellationToken).ConfigureAwait(false) is { MemoryStats.Usage: { } usage } stats)
            {
                var inactive = InactiveFileBytes(stats.MemoryStats);
                samples.Add(((usage - Math.Min(inactive, usage)) / Mebibyte, usage / Mebibyte));
            }
        }

        return samples.Count == 0
            ? null
            : new SandboxMemory(samples.Count, samples.Min(s => s.Working), samples.Average(s => s.Working),
                samples.Max(s => s.Working), samples.Average(s => s.Raw));
    }

    private async Task<bool> AllIdleAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var before = await CpuAsync(ids, cancellationToken).ConfigureAwait(false);
        await Task.Delay(IdleSample, cancellationToken).ConfigureAwait(false);
        var after = await CpuAsync(ids, cancellationToken).ConfigureAwait(false);
        var idle = ids.Count(id => before.TryGetValue(id, out var b) && after.TryGetValue(id, out var a) && a - b < IdleCpuNanoseconds);
        return idle >= poolSize;
    }

    private async Task<Dictionary<string, ulong>> CpuAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var cpu = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            if (CgroupCpuNanoseconds(id) is { } fromCgroup)
            {
                cpu[id] = fromCgroup;
            }
            else if (await StatsAsync(id, cancellationToken).ConfigureAwait(false) is { CPUStats.CPUUsage: { } usage })
            {
                cpu[id] = usage.TotalUsage;
            }
        }

        return cpu;
    }

    /// <summary>
    /// The container's CPU time from its cgroup when this machine runs the engine (the usual case):
    /// instant, where a stats call through Docker.DotNet takes the engine a second per container.
    /// Null when no cgroup file is found (remote engine, other layout): then the stats API is used.
    /// </summary>
    private static ulong? CgroupCpuNanoseconds(string id)
    {
        try
        {
            var v1 = $"/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage";
            if (File.Exists(v1))
            {
                return ulong.Parse(File.ReadAllText(v1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }

            foreach (var v2 in new[] { $"/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat", $"/sys/fs/cgroup/docker/{id}/cpu.stat" })
            {
                if (File.Exists(v2))
                {
                    var usage = File.ReadLines(v2).First(l => l.StartsWith("usage_usec ", StringComparison.Ordinal));
                    return ulong.Parse(usage["usage_usec ".Length..], System.Globalization.CultureInfo.InvariantCulture) * 1000;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException or OverflowException)
        {
            // Gone meanwhile or unreadable: fall back to the engine.
        }

        return null;
    }

    private async Task<IReadOnlyList<string>> ListParkedAsync(CancellationToken cancellationToken)
    {
        var parked = await docker.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                Filters = BenchLabels.Filter(
                    $"{BenchLabels.Instance}={instance}", $"{BenchLabels.ExecutionId}={BenchLabels.PoolExecutionId}"),
            },
            cancellationToken).ConfigureAwait(false);
        return [.. parked.Where(c => c.State == "running").Select(c => c.ID)];
    }

    /// <summary>One stats sample, or null when the container went away meanwhile (leased and removed).</summary>
    private async Task<ContainerStatsResponse?> StatsAsync(string id, CancellationToken cancellationToken)
    {
        var sample = new LastValue<ContainerStatsResponse>();
        try
        {
            // OneShot should spare the engine's one-second wait for a previous CPU sample, but Docker.DotNet
            // sends "stream=False", which engine 20.10 does not take for false: each call still takes a
            // second. Hence the cgroup files for the frequent CPU checks; this is for memory, once.
            await docker.Containers.GetContainerStatsAsync(
                id, new ContainerStatsParameters { Stream = false, OneShot = true }, sample, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }

        return sample.Value;
    }

    // cgroup v1 reports total_inactive_file, v2 inactive_file; docker stats subtracts whichever is there.
    private static ulong InactiveFileBytes(MemoryStats memory) =>
        memory.Stats is null ? 0
        : memory.Stats.TryGetValue("total_inactive_file", out var v1) ? v1
        : memory.Stats.TryGetValue("inactive_file", out var v2) ? v2
        : 0;

    /// <summary>Keeps the last report synchronously (Progress&lt;T&gt; would post it to the thread pool, maybe too late).</summary>
    private sealed class LastValue<T> : IProgress<T>
    {
        public T? Value { get; private set; }

        public void Report(T value) => Value = value;
    }
}
