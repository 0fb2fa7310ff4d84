using CodeInterpreter.Api.Contracts;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// python-executor's result object. Fields are absent-or-null when empty; <c>exit_code</c> and
/// <c>duration_ms</c> are integers (its Go client's decoder breaks on a float); timestamps are
/// <see cref="PyExecTimestamp"/> strings.
/// </summary>
public sealed record PyExecResult
{
    /// <summary><c>exe_</c> and a lowercase UUID v4.</summary>
    public required string ExecutionId { get; init; }

    /// <summary>Exactly one of pending, running, completed, failed, killed (see <see cref="PyExecStatus"/>).</summary>
    public required string Status { get; init; }

    /// <summary>What the program printed (with <c>eval_last_expr</c>, only its prints).</summary>
    public string? Stdout { get; init; }

    /// <summary>What the program wrote to standard error.</summary>
    public string? Stderr { get; init; }

    /// <summary>The program's exit status; a traceback is 1 (status completed).</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why the run failed or was killed (a timeout: <c>execution timeout after 2s</c>).</summary>
    public string? Error { get; init; }

    /// <summary>The uncaught exception's type, e.g. <c>ZeroDivisionError</c>.</summary>
    public string? ErrorType { get; init; }

    /// <summary>The line of the user's code the exception came from (never a wrapper's line).</summary>
    public int? ErrorLine { get; init; }

    /// <summary>When the program started.</summary>
    public string? StartedAt { get; init; }

    /// <summary>When the run ended.</summary>
    public string? FinishedAt { get; init; }

    /// <summary>Wall-clock milliseconds of the program.</summary>
    public long? DurationMs { get; init; }

    /// <summary>With <c>eval_last_expr</c>: the repr of the last expression when it is not None.</summary>
    public string? Result { get; init; }

    /// <summary>Ours, beside python-executor's fields: what the run cost (CPU time, peak memory, wall time), once it has ended.</summary>
    public ExecutionUsageInfo? Usage { get; init; }
}
