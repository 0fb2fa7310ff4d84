namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Resource bounds of one execution.</summary>
public sealed record SandboxLimits(int MemoryLimitMb, int CpuTimeLimitSec, long MaxOutputBytes)
{
    /// <summary>Most generated files returned.</summary>
    public int MaxGeneratedFiles { get; init; } = 100;

    /// <summary>Most bytes of generated files returned, in total.</summary>
    public long MaxGeneratedBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>Most display items (<c>outputs</c>) returned.</summary>
    public int MaxOutputItems { get; init; } = 32;

    /// <summary>CPU cores; null = the server's default.</summary>
    public double? Cpus { get; init; }
}
