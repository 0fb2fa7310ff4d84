namespace CodeInterpreter.Domain.Sessions;

/// <summary>What one shell command in a session produced.</summary>
/// <param name="ExitCode">The command's exit status; null when it timed out (or its status is unknown).</param>
/// <param name="Duration">Wall-clock time from the command's start to its end or kill.</param>
public sealed record ShellResult(
    string Stdout,
    string Stderr,
    int? ExitCode,
    bool TimedOut,
    TimeSpan Duration,
    bool StdoutTruncated,
    bool StderrTruncated);
