using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Bench;

/// <summary>
/// Watches one service's warm pool: its fill level from the service's readiness probe, its
/// sandboxes' memory from the engine.
/// </summary>
internal sealed class PoolObserver(IDockerClient docker, HttpClient service, string instance, int poolSize)
{
    private const double Mebibyte = 1024 * 1024;

    /// <summary>
    /// True when /health/ready reports the pool full and idle: <c>poolSize</c> sandboxes ready (preloads
    /// imported), none booted without them, none starting, no request waiting. Anything less means
    /// the pool is still refilling, which costs CPU a measured request would compete with.
    /// </summary>
    public async Task<bool> IsFullAndIdleAsync(CancellationToken cancellationToken)
    {
        using var response = await service.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using var body = await JsonDocument.ParseAsync(
            await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!body.RootElement.TryGetProperty("pool", out var pool))
        {
            return false;
        }

        return Count(pool, "ready") == poolSize && Count(pool, "booted") == 0 && Count(pool, "starting") == 0
            && Count(pool, "waiting_requests") == 0;
    }

    // A missing count reads as -1, so a build without it never looks idle by accident.
    private static int Count(JsonElement pool, string name) =>
        pool.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : -1;

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
            // sends "stream=False", which engine 20.10 does not take for false: each call takes a second.
            // Fine for memory, measured once per run.
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
