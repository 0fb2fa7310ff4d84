namespace CodeInterpreter.Api.Contracts;

/// <summary>A shell command to run in a session's sandbox.</summary>
public sealed class SessionBashRequest
{
    /// <summary>The command, run with <c>sh -c</c> as the sandbox user in <c>/workspace</c>, without standard input.</summary>
    public string? Cmd { get; init; }

    /// <summary>Wall-clock limit in milliseconds, from 1 to the server's MAX_EXEC_TIMEOUT_MS (default 60000; the request's default is 30000); the command is killed past it.</summary>
    public int TimeoutMs { get; init; } = 30_000;
}
