namespace CodeInterpreter.Api.Contracts;

/// <summary>What one call in a session produced: the fields of <c>POST /v1/execute</c>'s answer, and whether the interpreter was restarted.</summary>
public sealed class SessionExecuteResponse
{
    /// <summary>Standard output, cut at MAX_OUTPUT_BYTES and then ending with <c>\n...[truncated]</c>.</summary>
    public required string Stdout { get; init; }

    /// <summary>Standard error (tracebacks land here), cut like <see cref="Stdout"/>. A restart of the interpreter is noted at its end.</summary>
    public required string Stderr { get; init; }

    /// <summary>Exit status of the call: 0, 1 for an uncaught exception, n for <c>sys.exit(n)</c>, 128 + n when the interpreter was killed by signal n; null when timed out.</summary>
    public required int? ExitCode { get; init; }

    /// <summary>True when the call ran past <c>timeout_ms</c> and was interrupted.</summary>
    public required bool TimedOut { get; init; }

    /// <summary>How long the code ran, in milliseconds.</summary>
    public required long DurationMs { get; init; }

    /// <summary>
    /// Files and directories this call created or changed in the workspace. Every file is stored:
    /// download it with <c>GET /v1/files/{file_id}</c>.
    /// </summary>
    public required IReadOnlyList<ExecutionFile> Files { get; init; }

    /// <summary>Generated files that were not returned (over MAX_FILES_PER_EXECUTION or MAX_FILES_MB_PER_EXECUTION, or an invalid path).</summary>
    public required IReadOnlyList<DroppedExecutionFile> FilesDropped { get; init; }

    /// <summary>True when <see cref="Stdout"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StdoutTruncated { get; init; }

    /// <summary>True when <see cref="Stderr"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StderrTruncated { get; init; }

    /// <summary>True when the code was killed for exceeding the session's memory limit.</summary>
    public required bool OomKilled { get; init; }

    /// <summary>The uncaught exception of the code (syntax errors included), or null.</summary>
    public required ExecutionErrorInfo? Error { get; init; }

    /// <summary>
    /// True when the session's interpreter ended during (or since) the previous call and a fresh one
    /// took its place: it ignored the interrupt of a timeout, ran out of memory or CPU time, or the
    /// code ended it. Variables and imports of earlier calls are then gone; workspace files are kept.
    /// </summary>
    public required bool InterpreterRestarted { get; init; }
}
