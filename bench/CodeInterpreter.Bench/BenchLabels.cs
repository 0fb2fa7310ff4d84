namespace CodeInterpreter.Bench;

/// <summary>
/// Container labels: the service's (src/Infrastructure/Docker/SandboxLabels.cs, repeated here because
/// the benchmark only talks to the service from outside) and the benchmark's own.
/// </summary>
internal static class BenchLabels
{
    public const string Sandbox = "code-interpreter.sandbox";
    public const string Instance = "code-interpreter.instance";
    public const string ExecutionId = "code-interpreter.execution-id";

    /// <summary>What the service puts in <see cref="ExecutionId"/> while a sandbox is parked in the pool.</summary>
    public const string PoolExecutionId = "pool";

    /// <summary>Marks the containers of the engine reference measurement.</summary>
    public const string Bench = "code-interpreter.bench";
    public const string BenchRun = "code-interpreter.bench-run";
    public const string ReferenceValue = "reference";

    /// <summary>Every SANDBOX_INSTANCE the benchmark uses starts with this, so its sandboxes can be counted apart from tests running next to it.</summary>
    public const string InstancePrefix = "bench-";

    /// <summary>The labels of a container the benchmark itself creates in run <paramref name="runId"/> (the leak census counts them).</summary>
    public static Dictionary<string, string> OfReferenceRun(string runId) => new()
    {
        [Bench] = ReferenceValue,
        [BenchRun] = runId,
    };

    public static IDictionary<string, IDictionary<string, bool>> Filter(params string[] labels) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = labels.ToDictionary(l => l, _ => true),
        };
}
