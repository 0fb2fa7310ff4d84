namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The settings a sandbox is created with that cannot change once it runs. A warm sandbox can serve a
/// request only when the request needs exactly its shape.
/// </summary>
/// <param name="MemoryLimitMb">Memory (and memory + swap) limit of the container.</param>
/// <param name="Preload">Comma-separated modules the runner imports before it waits for a request.</param>
/// <param name="Cpus">CPU cores; null = the server's default.</param>
/// <param name="Image">Executor image; null = the server's default.</param>
/// <param name="PackageEnvironment">Docker volume of a built package environment, mounted read-only; null = none.</param>
/// <param name="Egress">The sandbox's own internal network shared with the egress proxy, whose URL goes in the environment; null = no network.</param>
internal sealed record SandboxShape(
    int MemoryLimitMb, string Preload, double? Cpus = null, string? Image = null, string? PackageEnvironment = null,
    Egress.EgressAttachment? Egress = null);
