namespace CodeInterpreter.Api.Contracts;

/// <summary>What one shell command in a session produced.</summary>
public sealed class SessionBashResponse
{
    /// <summary>Standard output, cut at MAX_OUTPUT_BYTES and then ending with <c>\n...[truncated]</c>.</summary>
    public required string Stdout { get; init; }

    /// <summary>Standard error, cut like <see cref="Stdout"/>.</summary>
    public required string Stderr { get; init; }

    /// <summary>Exit status of the command; null when it timed out.</summary>
    public required int? ExitCode { get; init; }

    /// <summary>True when the command ran past <c>timeout_ms</c> and was killed.</summary>
    public required bool TimedOut { get; init; }

    /// <summary>How long the command ran, in milliseconds.</summary>
    public required long DurationMs { get; init; }

    /// <summary>True when <see cref="Stdout"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StdoutTruncated { get; init; }

    /// <summary>True when <see cref="Stderr"/> was cut at MAX_OUTPUT_BYTES.</summary>
    public required bool StderrTruncated { get; init; }
}
