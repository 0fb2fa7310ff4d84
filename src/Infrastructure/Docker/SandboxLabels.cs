namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>Labels that mark every sandbox container, so none can be lost track of.</summary>
internal static class SandboxLabels
{
    public const string Sandbox = "code-interpreter.sandbox";
    public const string Instance = "code-interpreter.instance";
    public const string ExecutionId = "code-interpreter.execution-id";

    /// <summary>Label of every package environment volume: its hash. A volume without it was not made by a build.</summary>
    public const string Environment = "code-interpreter.environment";

    /// <summary>Filter that selects every sandbox of one service instance.</summary>
    public static IDictionary<string, IDictionary<string, bool>> FilterFor(string instance) =>
        new Dictionary<string, IDictionary<string, bool>>
        {
            ["label"] = new Dictionary<string, bool>
            {
                [$"{Sandbox}=true"] = true,
                [$"{Instance}={instance}"] = true,
            },
        };
}
