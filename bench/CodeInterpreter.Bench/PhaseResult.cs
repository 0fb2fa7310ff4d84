namespace CodeInterpreter.Bench;

/// <summary>How requests were sent in a phase.</summary>
internal enum PhaseKind
{
    /// <summary>One client, each request sent as soon as the previous answered.</summary>
    Sequential,

    /// <summary>One client, each request sent only once the pool is full and idle and the machine quiet (pool on only).</summary>
    QuietPool,

    /// <summary><see cref="BenchCounts.Clients"/> clients sending back-to-back.</summary>
    Concurrent,

    /// <summary>Requests sent on a clock at <see cref="PhaseResult.OfferedRate"/> per second, whether earlier ones answered or not.</summary>
    OpenLoop,

    /// <summary>One client's calls, back-to-back, in one open session (a persistent interpreter).</summary>
    SessionCall,

    /// <summary>The reference's design driven directly on the engine: a new container per call, exec steps, removed.</summary>
    ReferenceDesign,

    /// <summary>The first request with a requirement set not built before: the build, then a cold sandbox with it mounted.</summary>
    PackagesFirstRequest,

    /// <summary>Requests with a requirement set built before: a cold sandbox with its environment mounted.</summary>
    PackagesBuilt,
}

/// <summary>The requests of one phase of one workload, the wall time they took together and the machine's busy CPU time meanwhile.</summary>
internal sealed record PhaseResult(Workload Workload, PhaseKind Kind, IReadOnlyList<RequestOutcome> Outcomes, TimeSpan Wall, TimeSpan CpuBusy)
{
    /// <summary>Open loop only: requests sent per second.</summary>
    public double OfferedRate { get; init; }

    /// <summary>Open loop only: how late the client sent its latest request against the clock (its own scheduling, not the service).</summary>
    public TimeSpan MaxSendLag { get; init; }

    /// <summary>The phases whose throughput means something: clients that send again as soon as answered.</summary>
    public bool IsClosedLoop => Kind is PhaseKind.Sequential or PhaseKind.Concurrent;

    /// <summary>Machine CPU milliseconds per successful request (engine, sandboxes, service and client together).</summary>
    public double CpuMsPerRequest => MachineCpu.MsPer(CpuBusy, Requests - Failed);

    public int Requests => Outcomes.Count;

    public int Failed => Outcomes.Count(o => !o.Succeeded);

    /// <summary>Percentiles over the successful requests only: a fast error is not a fast answer.</summary>
    public LatencySummary Latency { get; } = LatencySummary.From(Outcomes.Where(o => o.Succeeded).Select(o => o.Latency));

    /// <summary>Successful requests per second of wall time.</summary>
    public double Throughput => Wall > TimeSpan.Zero ? (Requests - Failed) / Wall.TotalSeconds : 0;

    /// <summary>More than half failed: the numbers mean nothing and the run should not look green.</summary>
    public bool FailedMassively => Requests > 0 && Failed * 2 > Requests;

    /// <summary>The distinct failure reasons with their counts, most frequent first.</summary>
    public IEnumerable<(string Reason, int Count)> FailureReasons => Outcomes
        .Where(o => !o.Succeeded)
        .GroupBy(o => o.Failure!, StringComparer.Ordinal)
        .Select(g => (g.Key, g.Count()))
        .OrderByDescending(g => g.Item2);
}
