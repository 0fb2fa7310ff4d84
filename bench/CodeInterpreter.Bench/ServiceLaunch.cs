namespace CodeInterpreter.Bench;

/// <summary>What one service process is started with.</summary>
internal sealed record ServiceLaunch(string ApiDll, string ExecutorImage, string DockerHost, int PoolSize, string Instance)
{
    /// <summary>PACKAGE_WHEELHOUSE of the service; null = no package source.</summary>
    public string? Wheelhouse { get; init; }
}
