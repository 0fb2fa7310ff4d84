using System.Text.Json;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;
using Prometheus;

namespace CodeInterpreter.Api.Metrics;

/// <summary>
/// The service's Prometheus metrics (GET /metrics): executions by outcome and how long their code ran,
/// and, read at each scrape, readiness, the warm pools (the default one and those of POOL_ENVIRONMENTS, with
/// their hits and misses) and the execution slots. A registry of its own
/// per service instance, so nothing is shared through prometheus-net's static default registry.
/// </summary>
internal sealed class ServiceMetrics : IExecutionMetrics
{
    /// <summary>Each outcome's label, its name in snake case (TimedOut: timed_out), indexed by the outcome.</summary>
    private static readonly string[] OutcomeLabels =
        [.. Enum.GetValues<ExecutionOutcome>().Select(o => JsonNamingPolicy.SnakeCaseLower.ConvertName(o.ToString()))];

    private readonly Counter _executions;
    private readonly Histogram _codeDuration;
    private readonly Gauge _ready;
    private readonly Gauge _poolSize;
    private readonly Gauge _poolSandboxes;
    private readonly Gauge _poolWaiting;
    private readonly Counter _poolLeases;
    private readonly Gauge _environmentPoolSize;
    private readonly Gauge _environmentPoolSandboxes;
    private readonly Counter _environmentPoolFailures;
    private readonly Gauge _admitted;
    private readonly ISandboxPoolStatus _pool;
    private readonly ExecutionSlots _slots;
    private readonly ServiceReadiness _readiness;

    public ServiceMetrics(ISandboxPoolStatus pool, ExecutionSlots slots, ServiceReadiness readiness)
    {
        _pool = pool;
        _slots = slots;
        _readiness = readiness;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _executions = factory.CreateCounter(
            "codeinterpreter_executions_total",
            "Executions the service took on (POST /v1/execute, its stream, background executions), by outcome.",
            "outcome");
        foreach (var label in OutcomeLabels)
        {
            // Every outcome is exported from the start, so a rate over it never begins with a gap.
            _executions.WithLabels(label);
        }

        _codeDuration = factory.CreateHistogram(
            "codeinterpreter_execution_code_duration_seconds",
            "How long the code of an execution ran (duration_ms), for executions whose code started.",
            new HistogramConfiguration { Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _ready = factory.CreateGauge("codeinterpreter_ready", "1 when the service can run code (GET /health/ready answers 200), else 0.");
        _poolSize = factory.CreateGauge("codeinterpreter_pool_size", "POOL_SIZE: warm sandboxes the pool keeps.");
        _poolSandboxes = factory.CreateGauge(
            "codeinterpreter_pool_sandboxes",
            "Sandboxes in the warm pool: ready (preloads imported), booted (parked without them), starting.",
            "state");
        _poolWaiting = factory.CreateGauge("codeinterpreter_pool_waiting_requests", "Requests waiting for the pool's next sandbox.");
        _poolLeases = factory.CreateCounter(
            "codeinterpreter_pool_leases_total",
            "Requests a warm pool could serve, by pool (default, or the requirements of a POOL_ENVIRONMENTS set) and result: hit (a warm sandbox) or miss (a cold one started).",
            "pool", "result");
        _environmentPoolSize = factory.CreateGauge(
            "codeinterpreter_environment_pool_size",
            "POOL_ENVIRONMENT_SIZE for each POOL_ENVIRONMENTS set whose environment is pinned, 0 while it is built or retried, or when skipped.",
            "requirements");
        _environmentPoolSandboxes = factory.CreateGauge(
            "codeinterpreter_environment_pool_sandboxes",
            "Sandboxes of each POOL_ENVIRONMENTS set's pool: ready (parked, preloads imported) or starting.",
            "requirements", "state");
        _environmentPoolFailures = factory.CreateCounter(
            "codeinterpreter_environment_pool_failures_total",
            "Times a POOL_ENVIRONMENTS set's environment could not be had at start-up (a failed build, the engine away); each is retried with backoff.",
            "requirements");
        _admitted = factory.CreateGauge(
            "codeinterpreter_executions_admitted",
            "Executions running or queued for a slot (at most MAX_CONCURRENT_EXECUTIONS + MAX_QUEUED_EXECUTIONS; beyond, 429).");
        Registry.AddBeforeCollectCallback(ReadState);
    }

    public CollectorRegistry Registry { get; }

    public void Record(ExecutionOutcome outcome, TimeSpan? codeDuration)
    {
        _executions.WithLabels(OutcomeLabels[(int)outcome]).Inc();
        if (codeDuration is { } duration)
        {
            _codeDuration.Observe(duration.TotalSeconds);
        }
    }

    private void ReadState()
    {
        var pool = _pool.Snapshot();
        _ready.Set(_readiness.IsReady ? 1 : 0);
        _poolSize.Set(pool.Size);
        _poolSandboxes.WithLabels("ready").Set(pool.Ready);
        _poolSandboxes.WithLabels("booted").Set(pool.Booted);
        _poolSandboxes.WithLabels("starting").Set(pool.Starting);
        _poolWaiting.Set(pool.WaitingRequests);
        _admitted.Set(_slots.Admitted);
        var leases = _pool.DefaultLeases();
        _poolLeases.WithLabels("default", "hit").IncTo(leases.Hits);
        _poolLeases.WithLabels("default", "miss").IncTo(leases.Misses);
        foreach (var environment in _pool.EnvironmentPools())
        {
            _environmentPoolSize.WithLabels(environment.Requirements).Set(environment.State == "warm" ? environment.Size : 0);
            _environmentPoolSandboxes.WithLabels(environment.Requirements, "ready").Set(environment.Ready);
            _environmentPoolSandboxes.WithLabels(environment.Requirements, "starting").Set(environment.Starting);
            _poolLeases.WithLabels(environment.Requirements, "hit").IncTo(environment.Leases.Hits);
            _poolLeases.WithLabels(environment.Requirements, "miss").IncTo(environment.Leases.Misses);
            _environmentPoolFailures.WithLabels(environment.Requirements).IncTo(environment.Failures);
        }
    }
}
