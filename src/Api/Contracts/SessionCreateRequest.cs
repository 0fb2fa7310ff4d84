namespace CodeInterpreter.Api.Contracts;

/// <summary>A session to open: a sandbox of its own with a persistent Python interpreter and workspace.</summary>
public sealed class SessionCreateRequest
{
    /// <summary>Stored files to place in the session's workspace before it is handed out.</summary>
    public IReadOnlyList<ExecuteFileReference> Files { get; init; } = [];

    /// <summary>Seconds the session stays open unless deleted before, from 1 to 86400 (default 900).</summary>
    public int TtlSeconds { get; init; } = 900;

    /// <summary>Memory limit of the session's sandbox in MB, up to the server's MAX_MEMORY_LIMIT_MB (default: MEMORY_LIMIT_MB).</summary>
    public int? MemoryLimitMb { get; init; }
}
