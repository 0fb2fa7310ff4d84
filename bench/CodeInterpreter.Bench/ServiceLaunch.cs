namespace CodeInterpreter.Bench;

/// <summary>What one service process is started with.</summary>
internal sealed record ServiceLaunch(string ApiDll, string ExecutorImage, string DockerHost, int PoolSize, string Instance)
{
    /// <summary>PACKAGE_WHEELHOUSE of the service; null = no package source.</summary>
    public string? Wheelhouse { get; init; }

    /// <summary>EXECUTOR_RUNTIME of the service: runc, or runsc (gVisor).</summary>
    public string Runtime { get; init; } = "runc";
}
