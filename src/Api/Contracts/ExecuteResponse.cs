namespace CodeInterpreter.Api.Contracts;

/// <summary>What one execution produced.</summary>
public sealed class ExecuteResponse
{
    /// <summary>Standard output, cut at MAX_OUTPUT_BYTES and then ending with <c>\n...[truncated]</c>.</summary>
    public required string Stdout { get; init; }

    /// <summary>Standard error (tracebacks land here), cut like <see cref="Stdout"/>.</summary>
    public required string Stderr { get; init; }

    /// <summary>Exit status of the code; 128 + n when killed by signal n; null when timed out.</summary>
    public required int? ExitCode { get; init; }

    /// <summary>True when the code ran past <c>timeout_ms</c> and was killed.</summary>
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

    /// <summary>True when the code was killed for exceeding the memory limit.</summary>
    public required bool OomKilled { get; init; }

    /// <summary>The uncaught exception of the code (syntax errors included), or null.</summary>
    public required ExecutionErrorInfo? Error { get; init; }
}

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
