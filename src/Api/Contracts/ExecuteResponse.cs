using System.Text.Json;
using NJsonSchema.Annotations;

namespace CodeInterpreter.Api.Contracts;

/// <summary>What one execution produced.</summary>
[JsonSchemaFlatten]
public sealed class ExecuteResponse : ExecutionOutput;

/// <summary>A workspace entry created or changed by the code.</summary>
public sealed class ExecutionFile
{
    /// <summary>Path relative to <c>/workspace</c>.</summary>
    public required string Path { get; init; }

    /// <summary><c>file</c> or <c>directory</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>Id to download the file with <c>GET /v1/files/{file_id}</c>; null for directories.</summary>
    public string? FileId { get; init; }

    /// <summary>Size of the file in bytes; null for directories.</summary>
    public long? SizeBytes { get; init; }
}

/// <summary>A generated file that was not returned.</summary>
public sealed class DroppedExecutionFile
{
    /// <summary>Path relative to <c>/workspace</c> (as the sandbox reported it).</summary>
    public required string Path { get; init; }

    /// <summary>Why it was dropped.</summary>
    public required string Reason { get; init; }
}

/// <summary>An uncaught exception of the user's code.</summary>
public sealed class ExecutionErrorInfo
{
    /// <summary>The exception's class name, e.g. <c>NameError</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The exception's message.</summary>
    public required string Message { get; init; }

    /// <summary>Line in the submitted code, when known.</summary>
    public int? Line { get; init; }
}

/// <summary>
/// What a run cost, measured (never estimated) in its sandbox. CPU time and peak memory are the kernel's
/// accounting of the sandbox's cgroup, which the code cannot write; the runner that reads them shares the
/// sandbox with the code, so treat them as accounting, not as proof.
/// </summary>
public sealed class ExecutionUsageInfo
{
    /// <summary>CPU time (user + system) of the code and every process it started, in milliseconds; null when unknown (a timed-out run).</summary>
    public long? CpuMs { get; init; }

    /// <summary>The sandbox's peak memory in bytes (the runner and preloaded modules included; in a session, the peak since the session started); null when unknown.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>Wall-clock time of the code in milliseconds, as the runner measured it.</summary>
    public required long WallMs { get; init; }
}

/// <summary>
/// One thing the code displayed, as Jupyter shows it: a <c>display(obj)</c> call, a figure of <c>plt.show()</c>
/// (also stored as a file), or the value of the trailing expression with <c>last_line_interactive</c>.
/// </summary>
public sealed class DisplayOutputInfo
{
    /// <summary><c>display_data</c> (display() and figures) or <c>execute_result</c> (the trailing expression's value).</summary>
    public required string Type { get; init; }

    /// <summary>
    /// A MIME bundle: <c>text/plain</c> always (when within the bounds), and for rich objects <c>text/html</c>,
    /// <c>application/json</c> (a JSON value; for a DataFrame <c>{columns, records, total_rows, truncated}</c> of at most 50
    /// rows), <c>image/png</c> or <c>image/jpeg</c> (base64), <c>image/svg+xml</c>, <c>text/markdown</c>, <c>text/latex</c>.
    /// </summary>
    public required IReadOnlyDictionary<string, JsonElement> Data { get; init; }

    /// <summary>True when part of this item was cut: over MAX_OUTPUT_BYTES (all items together), a MIME type not allowed, or malformed.</summary>
    public required bool Truncated { get; init; }
}

/// <summary>One request the code made through the egress proxy.</summary>
public sealed class NetworkLogEntry
{
    /// <summary>The host the code asked for.</summary>
    public required string Host { get; init; }

    /// <summary>The port it asked for.</summary>
    public required int Port { get; init; }

    /// <summary>False when the proxy refused it (not on the allow-list, or an address in EGRESS_DENY_CIDRS).</summary>
    public required bool Allowed { get; init; }

    /// <summary>Bytes through the proxy, both ways.</summary>
    public required long Bytes { get; init; }
}
