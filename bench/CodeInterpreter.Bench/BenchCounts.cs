namespace CodeInterpreter.Bench;

/// <summary>
/// How many requests each phase sends. Pool off costs a container start per request (about a
/// second), so it gets fewer requests than pool on. The pool-on concurrent phase starts with the
/// pool full, so its first POOL_SIZE requests cost no boot: many requests keep that bias small
/// (4 of 160 in a full run; --quick counts are too small for throughput conclusions).
/// Before any phase, each service gets <see cref="ServiceWarmup"/> requests of all workloads from
/// <see cref="Clients"/> clients, so the numbers are those of a service in its steady state: the
/// runtime re-compiles hot methods (tiered JIT) during roughly its first hundred requests.
/// An open-loop phase sends <see cref="OpenLoop"/> requests at each rate of <see cref="OpenLoopRates"/>:
/// 24 s at 1/s down to 6 s at 4/s, about 80 s per service in a full run.
/// </summary>
internal sealed record BenchCounts(
    int ServiceWarmup,
    int Warmup,
    int SequentialPoolOn,
    int QuietPool,
    int ConcurrentPoolOn,
    int SequentialPoolOff,
    int ConcurrentPoolOff,
    int ReferenceContainers,
    int OpenLoop,
    int SessionCalls,
    int ReferenceDesignHello,
    int ReferenceDesignPandas)
{
    /// <summary>New requirement sets built, each followed by <see cref="PackageRepeats"/> requests with it.</summary>
    public int PackageSets => ServiceWarmup > 10 ? 3 : 2;

    /// <summary>Requests with each requirement set once it is built.</summary>
    public int PackageRepeats => ServiceWarmup > 10 ? 10 : 4;

    /// <summary>Concurrent clients in the concurrent phases and parallel loops in the engine reference.</summary>
    public const int Clients = 8;

    /// <summary>The open-loop phases: a workload and its requests per second. Pandas costs about 4 times the CPU of print('hi'), so it stops at 2/s.</summary>
    public static IReadOnlyList<(Workload Workload, double Rate)> OpenLoopRates { get; } =
    [
        (Workload.Hello, 1), (Workload.Hello, 2), (Workload.Hello, 4),
        (Workload.Pandas, 1), (Workload.Pandas, 2),
    ];

    /// <summary>The workloads of the quiet single calls and the reference's design (and of the A/B comparison).</summary>
    public static IReadOnlyList<Workload> SingleCallWorkloads { get; } = [Workload.Hello, Workload.Pandas];

    public static BenchCounts Full { get; } = new(
        ServiceWarmup: 120, Warmup: 3, SequentialPoolOn: 30, QuietPool: 20, ConcurrentPoolOn: 160,
        SequentialPoolOff: 15, ConcurrentPoolOff: 40, ReferenceContainers: 80,
        OpenLoop: 24, SessionCalls: 50, ReferenceDesignHello: 20, ReferenceDesignPandas: 10);

    public static BenchCounts Quick { get; } = new(
        ServiceWarmup: 6, Warmup: 1, SequentialPoolOn: 8, QuietPool: 5, ConcurrentPoolOn: 16,
        SequentialPoolOff: 4, ConcurrentPoolOff: 8, ReferenceContainers: 16,
        OpenLoop: 6, SessionCalls: 10, ReferenceDesignHello: 4, ReferenceDesignPandas: 2);

    public int ReferenceDesign(Workload workload) => workload == Workload.Pandas ? ReferenceDesignPandas : ReferenceDesignHello;
}
