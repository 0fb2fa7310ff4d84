namespace CodeInterpreter.Bench;

/// <summary>What one service process is started with.</summary>
internal sealed record ServiceLaunch(string ApiDll, string ExecutorImage, string DockerHost, int PoolSize, string Instance);
