namespace CodeInterpreter.Api.Contracts;

/// <summary>A shell command to run in a session's sandbox.</summary>
public sealed class SessionBashRequest
{
    /// <summary>The command, run with <c>sh -c</c> as the sandbox user in <c>/workspace</c>, without standard input.</summary>
    public string? Cmd { get; init; }

    /// <summary>Wall-clock limit in milliseconds, from 1 to 60000 (default 30000); the command is killed past it.</summary>
    public int TimeoutMs { get; init; } = 30_000;
}
