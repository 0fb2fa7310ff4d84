namespace CodeInterpreter.Api.Contracts;

/// <summary>Python code to run in a session's persistent interpreter.</summary>
public sealed class SessionExecuteRequest
{
    /// <summary>The Python source. Variables, functions and imports of earlier calls in the session are there; the working directory is <c>/workspace</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Text fed to the code's standard input; null means empty input.</summary>
    public string? Stdin { get; init; }

    /// <summary>Wall-clock limit in milliseconds, from 1 to the server's MAX_EXEC_TIMEOUT_MS. A call past it is interrupted; the session stays usable.</summary>
    public int TimeoutMs { get; init; } = 2000;

    /// <summary>Print the value of a bare expression on the last line, as a Python REPL does.</summary>
    public bool LastLineInteractive { get; init; } = true;

    /// <summary>Environment variables for this call only (at most 64, 64 KiB; names like PATH, PYTHON*, LD_* are reserved).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Command-line arguments: the code sees them as <c>sys.argv[1:]</c> during this call.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
}
