namespace CodeInterpreter.Api.Contracts;

/// <summary>A session to open: a sandbox of its own with a persistent Python interpreter and workspace.</summary>
public sealed class SessionCreateRequest
{
    /// <summary>Stored files to place in the session's workspace before it is handed out.</summary>
    public IReadOnlyList<ExecuteFileReference> Files { get; init; } = [];

    /// <summary>Seconds the session stays open unless deleted before, from 1 to 86400 (default 900).</summary>
    public int TtlSeconds { get; init; } = 900;

    /// <summary>
    /// Hosts the session's code may reach through the server's egress proxy, and nothing else, as <c>allow_hosts</c> of
    /// /v1/execute (403 unless ALLOW_NETWORK=true and EGRESS_ALLOW_HOSTS covers each; 422 naming a malformed entry).
    /// </summary>
    public IReadOnlyList<string> AllowHosts { get; init; } = [];

    /// <summary>Memory limit of the session's sandbox in MB, up to the server's MAX_MEMORY_LIMIT_MB (default: MEMORY_LIMIT_MB).</summary>
    public int? MemoryLimitMb { get; init; }

    /// <summary>
    /// Packages the code needs: a list of PEP 508 requirements (<c>["tqdm>=4", "tabulate"]</c>) or a requirements.txt
    /// text; no options, URLs or paths. What the executor image lacks is installed from the server's package source
    /// into a cached, read-only environment (422 naming the packages when the server has no source).
    /// </summary>
    public System.Text.Json.JsonElement? Requirements { get; init; }
}
