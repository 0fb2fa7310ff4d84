using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// python-executor's <c>config</c> object. Its clients send all five fields with their own defaults
/// (300 s, 1024 MB, 2048 MB, 1024 shares, network disabled) once any is set, so the values are
/// clamped to this server's maxima, never refused for being too large.
/// </summary>
public sealed class PyExecConfig
{
    /// <summary>python-executor's own default time limit, used when the field is absent or 0.</summary>
    public const int DefaultTimeoutSeconds = 300;

    /// <summary>Wall-clock limit in seconds (0 or absent: 300), at most the server's MAX_EXEC_TIMEOUT_MS.</summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>Memory limit in MB (0 or absent: the server's MEMORY_LIMIT_MB), at most MAX_MEMORY_LIMIT_MB.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Accepted and not applied: the workspace's size is the server's.</summary>
    public int? DiskMb { get; init; }

    /// <summary>Accepted and not applied: CPU is bounded by the server's SANDBOX_CPUS.</summary>
    public int? CpuShares { get; init; }

    /// <summary>False asks for network, which the server grants only with ALLOW_NETWORK=true.</summary>
    public bool? NetworkDisabled { get; init; }

    /// <summary>The wall-clock limit in ms: the asked (or default) seconds, at most MAX_EXEC_TIMEOUT_MS.</summary>
    public int TimeoutMs(ExecutionOptions limits)
    {
        var seconds = TimeoutSeconds is > 0 ? TimeoutSeconds.Value : DefaultTimeoutSeconds;
        return (int)Math.Min(seconds * 1000L, limits.MaxExecTimeoutMs);
    }

    /// <summary>The memory limit in MB, at most MAX_MEMORY_LIMIT_MB; null (absent or 0) for the server's MEMORY_LIMIT_MB.</summary>
    public int? MemoryLimitMb(ExecutionOptions limits) =>
        MemoryMb is > 0 ? Math.Min(MemoryMb.Value, limits.MaxMemoryLimitMb) : null;

    /// <summary>Network only when the client turns <c>network_disabled</c> off (the server may still refuse it).</summary>
    public bool Network => NetworkDisabled == false;
}
