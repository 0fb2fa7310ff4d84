using System.Collections.Concurrent;

namespace CodeInterpreter.Bench;

/// <summary>Drives one workload against the running service in the three ways the report compares.</summary>
internal sealed class LoadPhases(ExecuteClient client)
{
    /// <summary>Requests whose results are thrown away: JIT, connection set-up, first imports.</summary>
    public async Task WarmUpAsync(Workload workload, int count, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            await client.ExecuteAsync(workload, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Requests of the workloads in turn from concurrent clients, results thrown away: the service's JIT settles.</summary>
    public async Task ServiceWarmUpAsync(IReadOnlyList<Workload> workloads, int count, int clients, CancellationToken cancellationToken) =>
        await Concurrently.RunAsync(count, clients, async index =>
            await client.ExecuteAsync(workloads[index % workloads.Count], cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    public async Task<PhaseResult> SequentialAsync(Workload workload, int count, CancellationToken cancellationToken)
    {
        var outcomes = new List<RequestOutcome>(count);
        var clock = new PhaseClock();
        for (var i = 0; i < count; i++)
        {
            outcomes.Add(await client.ExecuteAsync(workload, cancellationToken).ConfigureAwait(false));
        }

        return new PhaseResult(workload, PhaseKind.Sequential, outcomes, clock.Wall, clock.CpuBusy);
    }

    /// <summary>
    /// Sequential, but each request waits until the pool is warm again first: the latency of a request
    /// that finds a warm sandbox, which back-to-back requests do not once they outrun the refill.
    /// </summary>
    public async Task<PhaseResult> SequentialWarmPoolAsync(
        Workload workload, int count, Func<CancellationToken, Task> untilPoolWarm, CancellationToken cancellationToken)
    {
        var outcomes = new List<RequestOutcome>(count);
        var clock = new PhaseClock();
        for (var i = 0; i < count; i++)
        {
            await untilPoolWarm(cancellationToken).ConfigureAwait(false);
            outcomes.Add(await client.ExecuteAsync(workload, cancellationToken).ConfigureAwait(false));
        }

        // Wall time includes the waits, so throughput is not meaningful here (the report leaves it out).
        return new PhaseResult(workload, PhaseKind.SequentialWarmPool, outcomes, clock.Wall, clock.CpuBusy);
    }

    public async Task<PhaseResult> ConcurrentAsync(Workload workload, int count, int clients, CancellationToken cancellationToken)
    {
        var outcomes = new ConcurrentBag<RequestOutcome>();
        var clock = new PhaseClock();
        await Concurrently.RunAsync(count, clients, async _ =>
            outcomes.Add(await client.ExecuteAsync(workload, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        return new PhaseResult(workload, PhaseKind.Concurrent, [.. outcomes], clock.Wall, clock.CpuBusy);
    }
}
