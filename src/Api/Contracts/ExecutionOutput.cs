namespace CodeInterpreter.Api.Contracts;

/// <summary>
/// What running code produced: the fields of <c>POST /v1/execute</c>'s answer, which a call in a session
/// answers too. Each answer flattens them into its own schema (<c>[JsonSchemaFlatten]</c>), so the
/// OpenAPI document and the generated clients show one flat object per answer, as before, and this type
/// is not in them.
/// </summary>
public abstract class ExecutionOutput
{
    /// <summary>Standard output, cut at MAX_OUTPUT_BYTES and then ending with <c>\n...[truncated]</c>.</summary>
    public required string Stdout { get; init; }

    /// <summary>Standard error (tracebacks land here), cut like <see cref="Stdout"/>. In a session, a restart of the interpreter is noted at its end.</summary>
    public required string Stderr { get; init; }

    /// <summary>Exit status of the code: 0, 1 for an uncaught exception, n for <c>sys.exit(n)</c>; 128 + n when killed by signal n (in a session: the interpreter); null when timed out.</summary>
    public required int? ExitCode { get; init; }

    /// <summary>True when the code ran past <c>timeout_ms</c> and was killed (in a session: interrupted).</summary>
    public required bool TimedOut { get; init; }

    /// <summary>How long the code ran, in milliseconds.</summary>
    public required long DurationMs { get; init; }

    /// <summary>
    /// Files and directories the code created or changed in the workspace (unchanged inputs are not
    /// listed). Every file is stored: download it with <c>GET /v1/files/{file_id}</c>.
    /// </summary>
    public required IReadOnlyList<ExecutionFile> Files { get; init; }

    /// <summary>Generated files that were not returned (over MAX_FILES_PER_EXECUTION or MAX_FILES_MB_PER_EXECUTION, or an invalid path).</summary>
    public required IReadOnlyList<DroppedExecutionFile> FilesDropped { get; init; }

    /// <summary>True when <see cref="Stdout"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StdoutTruncated { get; init; }

    /// <summary>True when <see cref="Stderr"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StderrTruncated { get; init; }

    /// <summary>True when the code was killed for exceeding the memory limit (a session's, in a session).</summary>
    public required bool OomKilled { get; init; }

    /// <summary>The uncaught exception of the code (syntax errors included), or null.</summary>
    public required ExecutionErrorInfo? Error { get; init; }

    /// <summary>What the run cost: CPU time, peak memory and wall time, measured in its sandbox (not in the reference API).</summary>
    public ExecutionUsageInfo? Usage { get; init; }

    /// <summary>What the code displayed, in order (not in the reference API): at most MAX_OUTPUT_ITEMS items, within MAX_OUTPUT_BYTES together.</summary>
    public IReadOnlyList<DisplayOutputInfo> Outputs { get; init; } = [];

    /// <summary>True when the code displayed more than MAX_OUTPUT_ITEMS items; the rest are not in <see cref="Outputs"/>.</summary>
    public bool OutputsTruncated { get; init; }

    /// <summary>
    /// With <c>allow_hosts</c> (or <c>network</c>): each request the code made through the egress proxy, allowed or
    /// refused, with the bytes it moved (the first 100); in a session, those made during this cell. Absent without egress.
    /// </summary>
    public IReadOnlyList<NetworkLogEntry>? NetworkLog { get; init; }
}
