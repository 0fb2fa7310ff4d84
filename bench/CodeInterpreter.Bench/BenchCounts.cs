namespace CodeInterpreter.Bench;

/// <summary>
/// How many requests each phase sends. Pool off costs a container start per request (about a
/// second), so it gets fewer requests than pool on. The pool-on concurrent phase starts with the
/// pool full, so its first POOL_SIZE requests cost no boot: many requests keep that bias small
/// (4 of 160 in a full run; --quick counts are too small for throughput conclusions).
/// Before any phase, each service gets <see cref="ServiceWarmup"/> requests of all workloads from
/// <see cref="Clients"/> clients, so the numbers are those of a service in its steady state: the
/// runtime re-compiles hot methods (tiered JIT) during roughly its first hundred requests.
/// </summary>
internal sealed record BenchCounts(
    int ServiceWarmup,
    int Warmup,
    int SequentialPoolOn,
    int WarmPoolPoolOn,
    int ConcurrentPoolOn,
    int SequentialPoolOff,
    int ConcurrentPoolOff,
    int ReferenceContainers)
{
    /// <summary>Concurrent clients in the concurrent phases and parallel loops in the engine reference.</summary>
    public const int Clients = 8;

    public static BenchCounts Full { get; } = new(
        ServiceWarmup: 120, Warmup: 3, SequentialPoolOn: 30, WarmPoolPoolOn: 20, ConcurrentPoolOn: 160,
        SequentialPoolOff: 15, ConcurrentPoolOff: 40, ReferenceContainers: 80);

    public static BenchCounts Quick { get; } = new(
        ServiceWarmup: 6, Warmup: 1, SequentialPoolOn: 8, WarmPoolPoolOn: 5, ConcurrentPoolOn: 16,
        SequentialPoolOff: 4, ConcurrentPoolOff: 8, ReferenceContainers: 16);
}
