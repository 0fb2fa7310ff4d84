using System.Collections.Concurrent;
using System.Diagnostics;

namespace CodeInterpreter.Bench;

/// <summary>Drives workloads against the running service in the ways the report compares.</summary>
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

    /// <summary>
    /// <paramref name="sets"/> requirement sets new to the service (ci-alpha with a ci-beta clause no run used
    /// before): each one's first request (the build), then <paramref name="repeats"/> requests with the same set
    /// (built already); the environments are deleted afterwards.
    /// </summary>
    public async Task<(PhaseResult First, PhaseResult Built)> PackagesAsync(int sets, int repeats, CancellationToken cancellationToken)
    {
        var first = new List<RequestOutcome>(sets);
        var built = new List<RequestOutcome>(sets * repeats);
        var clock = new PhaseClock();
        var run = Random.Shared.Next(1, 1_000_000);
        for (var set = 0; set < sets; set++)
        {
            string[] requirements = ["ci-alpha", FormattableString.Invariant($"ci-beta!=0.{run}.{set}")];
            first.Add(await client.ExecuteWithRequirementsAsync(Workload.Packages, requirements, cancellationToken).ConfigureAwait(false));
            for (var i = 0; i < repeats; i++)
            {
                built.Add(await client.ExecuteWithRequirementsAsync(Workload.Packages, requirements, cancellationToken).ConfigureAwait(false));
            }
        }

        var (wall, cpu) = (clock.Wall, clock.CpuBusy);
        await client.DeleteEnvironmentsAsync(cancellationToken).ConfigureAwait(false);
        return (new PhaseResult(Workload.Packages, PhaseKind.PackagesFirstRequest, first, wall, cpu),
            new PhaseResult(Workload.Packages, PhaseKind.PackagesBuilt, built, wall, cpu));
    }

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
    /// Single calls: each waits until the pool is full and idle and the machine quiet first, the case
    /// of an agent that thinks between calls (back-to-back requests outrun the refill).
    /// </summary>
    public async Task<PhaseResult> QuietCallsAsync(
        Workload workload, int count, Func<CancellationToken, Task> untilQuiet, CancellationToken cancellationToken)
    {
        var outcomes = new List<RequestOutcome>(count);
        var clock = new PhaseClock();
        for (var i = 0; i < count; i++)
        {
            await untilQuiet(cancellationToken).ConfigureAwait(false);
            outcomes.Add(await client.ExecuteAsync(workload, cancellationToken).ConfigureAwait(false));
        }

        // Wall time includes the waits, so throughput is not meaningful here (the report leaves it out).
        return new PhaseResult(workload, PhaseKind.QuietPool, outcomes, clock.Wall, clock.CpuBusy);
    }

    /// <summary>
    /// Open loop: request i is sent at i / <paramref name="rate"/> seconds, whether the earlier ones
    /// answered or not, as independent users would send them. A closed loop (send when answered) slows
    /// down with the service and so hides queueing; this does not.
    /// </summary>
    public async Task<PhaseResult> OpenLoopAsync(Workload workload, double rate, int count, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var requests = new List<Task<RequestOutcome>>(count);
        var clock = new PhaseClock();
        var start = Stopwatch.GetTimestamp();
        var maxLag = TimeSpan.Zero;
        for (var i = 0; i < count; i++)
        {
            var due = interval * i;
            var early = due - Stopwatch.GetElapsedTime(start);
            if (early > TimeSpan.Zero)
            {
                // The clock that paces the requests, not a wait for a condition.
                await Task.Delay(early, cancellationToken).ConfigureAwait(false);
            }

            var lag = Stopwatch.GetElapsedTime(start) - due;
            maxLag = lag > maxLag ? lag : maxLag;
            // Started and not awaited: the next request goes out on time however long this one takes.
            requests.Add(client.ExecuteAsync(workload, cancellationToken));
        }

        RequestOutcome[] outcomes = await Task.WhenAll(requests).ConfigureAwait(false);
        return new PhaseResult(workload, PhaseKind.OpenLoop, outcomes, clock.Wall, clock.CpuBusy) { OfferedRate = rate, MaxSendLag = maxLag };
    }

    /// <summary>
    /// Opens a session, defines <c>x</c> (not measured), measures <paramref name="count"/> back-to-back
    /// <c>x += 1</c> calls, checks that <c>x</c> is <paramref name="count"/> (one interpreter kept
    /// its state across the calls), then deletes the session.
    /// </summary>
    public async Task<PhaseResult> SessionCallsAsync(int count, CancellationToken cancellationToken)
    {
        var outcomes = new List<RequestOutcome>(count + 1);
        var clock = new PhaseClock();
        string sessionId;
        try
        {
            sessionId = await client.OpenSessionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
        {
            outcomes.Add(new RequestOutcome(clock.Wall, ex.Message));
            return new PhaseResult(Workload.SessionIncrement, PhaseKind.SessionCall, outcomes, clock.Wall, clock.CpuBusy);
        }

        try
        {
            var start = await client.ExecuteInSessionAsync(sessionId, Workload.SessionStart, cancellationToken).ConfigureAwait(false);
            if (!start.Succeeded)
            {
                outcomes.Add(start with { Failure = $"session start: {start.Failure}" });
                return new PhaseResult(Workload.SessionIncrement, PhaseKind.SessionCall, outcomes, clock.Wall, clock.CpuBusy);
            }

            clock = new PhaseClock();
            for (var i = 0; i < count; i++)
            {
                outcomes.Add(await client.ExecuteInSessionAsync(sessionId, Workload.SessionIncrement, cancellationToken).ConfigureAwait(false));
            }

            var wall = clock.Wall;
            var cpu = clock.CpuBusy;
            // Only a failed check adds a row: the calls answered but did not share one interpreter.
            var total = await client.ExecuteInSessionAsync(sessionId, Workload.SessionTotal(count), cancellationToken).ConfigureAwait(false);
            if (!total.Succeeded)
            {
                outcomes.Add(total with { Failure = $"state not kept across calls: {total.Failure}" });
            }

            return new PhaseResult(Workload.SessionIncrement, PhaseKind.SessionCall, outcomes, wall, cpu);
        }
        finally
        {
            // Not cancellable: a cancelled run must still close the session it opened.
            if (!await client.CloseSessionAsync(sessionId, CancellationToken.None).ConfigureAwait(false))
            {
                BenchmarkRun.Progress($"session {sessionId} was not deleted (the service removes it when it stops)");
            }
        }
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
