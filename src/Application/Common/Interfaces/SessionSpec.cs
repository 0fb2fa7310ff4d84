namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>What a new session is created with, already validated.</summary>
/// <param name="Ttl">How long the session stays open unless closed before.</param>
/// <param name="MemoryLimitMb">Memory of the session's sandbox (no swap).</param>
public sealed record SessionSpec(TimeSpan Ttl, int MemoryLimitMb)
{
    /// <summary>Files placed in the workspace before the session is handed out.</summary>
    public IReadOnlyList<SandboxInputFile> InputFiles { get; init; } = [];

    /// <summary>A built package environment (Docker volume) mounted read-only after the image's own packages; null = none.</summary>
    public string? PackageEnvironment { get; init; }

    /// <summary>Hosts the session's sandbox may reach through the egress proxy (already checked); empty = no network.</summary>
    public IReadOnlyList<Domain.Egress.EgressHost> AllowHosts { get; init; } = [];
}
