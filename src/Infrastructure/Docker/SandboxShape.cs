namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The settings a sandbox is created with that cannot change once it runs. A warm sandbox can serve a
/// request only when the request needs exactly its shape.
/// </summary>
/// <param name="MemoryLimitMb">Memory (and memory + swap) limit of the container.</param>
/// <param name="Preload">Comma-separated modules the runner imports before it waits for a request.</param>
internal sealed record SandboxShape(int MemoryLimitMb, string Preload);
