using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Bench;

/// <summary>Labelled containers at one moment: all the benchmark's (any run) and this run's.</summary>
internal sealed record ContainerCount(int BenchOwned, int ThisRun);

/// <summary>
/// Counts the containers the benchmark is responsible for, to detect leaks. Only bench-owned labels
/// are counted: tests running next to the benchmark start and remove sandboxes of their own.
/// </summary>
internal sealed class ContainerCensus(IDockerClient docker, string runId)
{
    /// <summary>The SANDBOX_INSTANCE of one service of this run; <paramref name="service"/> tells the services apart (e.g. "pool4", "baseline-pool4").</summary>
    public static string InstanceFor(string runId, string service) => $"{BenchLabels.InstancePrefix}{runId}-{service}";

    public async Task<ContainerCount> CountAsync(CancellationToken cancellationToken)
    {
        var sandboxes = await ListAsync($"{BenchLabels.Sandbox}=true", cancellationToken).ConfigureAwait(false);
        var references = await ListAsync($"{BenchLabels.Bench}={BenchLabels.ReferenceValue}", cancellationToken).ConfigureAwait(false);
        var benchSandboxes = sandboxes.Where(c => InstanceOf(c).StartsWith(BenchLabels.InstancePrefix, StringComparison.Ordinal)).ToList();
        var runPrefix = $"{BenchLabels.InstancePrefix}{runId}-";
        var thisRun = benchSandboxes.Count(c => InstanceOf(c).StartsWith(runPrefix, StringComparison.Ordinal))
            + references.Count(c => c.Labels.TryGetValue(BenchLabels.BenchRun, out var run) && run == runId);
        return new ContainerCount(benchSandboxes.Count + references.Count, thisRun);
    }

    /// <summary>
    /// Counts again until the count is back to <paramref name="expected"/> or the grace period ends:
    /// a remove the engine is still finishing is not a leak, one still there after the grace is.
    /// </summary>
    public async Task<ContainerCount> SettleAsync(int expected, TimeSpan grace, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + grace;
        while (true)
        {
            var count = await CountAsync(cancellationToken).ConfigureAwait(false);
            if (count.BenchOwned <= expected || DateTime.UtcNow >= deadline)
            {
                return count;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IList<ContainerListResponse>> ListAsync(string label, CancellationToken cancellationToken) =>
        await docker.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = BenchLabels.Filter(label) }, cancellationToken).ConfigureAwait(false);

    private static string InstanceOf(ContainerListResponse container) =>
        container.Labels.TryGetValue(BenchLabels.Instance, out var instance) ? instance : "";
}
