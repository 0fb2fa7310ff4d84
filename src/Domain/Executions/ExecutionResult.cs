namespace CodeInterpreter.Domain.Executions;

/// <summary>What one execution produced, as the service reports it.</summary>
/// <param name="ExitCode">The code's exit status; 128 + n when killed by signal n; null when timed out.</param>
/// <param name="Duration">Wall-clock time of the code itself (from its start to its end or kill).</param>
public sealed record ExecutionResult(
    string Stdout,
    string Stderr,
    int? ExitCode,
    bool TimedOut,
    TimeSpan Duration,
    bool StdoutTruncated,
    bool StderrTruncated,
    bool OomKilled,
    ExecutionError? Error)
{
    /// <summary>Files (each stored, with its id) and directories the code created or changed.</summary>
    public IReadOnlyList<WorkspaceEntry> Files { get; init; } = [];

    /// <summary>Generated files that were not returned, with the reason.</summary>
    public IReadOnlyList<DroppedFile> FilesDropped { get; init; } = [];

    /// <summary>
    /// <c>repr()</c> of the code's trailing expression when it was asked for (<c>EvalLastExpression</c>) and its
    /// value is not None; null otherwise (no trailing expression, None, an error, a timeout). Bounded in size.
    /// </summary>
    public string? LastExpressionValue { get; init; }

    /// <summary>What the run cost: CPU time, peak memory, wall time.</summary>
    public ExecutionUsage? Usage { get; init; }

    /// <summary>What the code displayed, in order, bounded in count and bytes.</summary>
    public IReadOnlyList<DisplayOutput> Outputs { get; init; } = [];

    /// <summary>More items were displayed than <see cref="Outputs"/> holds (over MAX_OUTPUT_ITEMS).</summary>
    public bool OutputsTruncated { get; init; }

    /// <summary>The requests the code made through the egress proxy (bounded); null when the run had no restricted egress.</summary>
    public IReadOnlyList<Egress.NetworkRequest>? NetworkLog { get; init; }
}

/// <summary>An uncaught exception of the user's code.</summary>
/// <param name="Line">Line in the user's code, when known.</param>
public sealed record ExecutionError(string Type, string Message, int? Line);
