using System.ComponentModel.DataAnnotations;

namespace CodeInterpreter.Api.Contracts;

/// <summary>Python code to run once in a fresh, locked-down sandbox.</summary>
public sealed class ExecuteRequest
{
    /// <summary>The Python source, run as <c>__main__</c> in <c>/workspace</c>.</summary>
    [Required(AllowEmptyStrings = true)]
    public string? Code { get; init; }

    /// <summary>Text fed to the code's standard input; null means empty input.</summary>
    public string? Stdin { get; init; }

    /// <summary>Wall-clock limit in milliseconds, from 1 to the server's MAX_EXEC_TIMEOUT_MS (default 60000).</summary>
    public int TimeoutMs { get; init; } = 2000;

    /// <summary>Print the value of a bare expression on the last line, as a Python REPL does.</summary>
    public bool LastLineInteractive { get; init; } = true;

    /// <summary>Stored files to place in the workspace before the code runs.</summary>
    public IReadOnlyList<ExecuteFileReference> Files { get; init; } = [];
}

/// <summary>A stored file staged into the workspace.</summary>
public sealed class ExecuteFileReference
{
    /// <summary>Relative path inside <c>/workspace</c> (sub-folders allowed; no <c>..</c>, not absolute).</summary>
    [Required(AllowEmptyStrings = true)]
    public string? Path { get; init; }

    /// <summary>Id of a file uploaded with <c>POST /v1/files</c>.</summary>
    [Required(AllowEmptyStrings = true)]
    public string? FileId { get; init; }
}
