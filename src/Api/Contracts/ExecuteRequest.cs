using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace CodeInterpreter.Api.Contracts;

/// <summary>Python code to run once in a fresh, locked-down sandbox.</summary>
public sealed class ExecuteRequest
{
    /// <summary>The Python source, run as <c>__main__</c> in <c>/workspace</c>. Required unless <see cref="Entrypoint"/> is given.</summary>
    public string? Code { get; init; }

    /// <summary>Text fed to the code's standard input; null means empty input.</summary>
    public string? Stdin { get; init; }

    /// <summary>Wall-clock limit in milliseconds, from 1 to the server's MAX_EXEC_TIMEOUT_MS (default 60000).</summary>
    [DefaultValue(2000)]
    public int TimeoutMs { get; init; } = 2000;

    /// <summary>Print the value of a bare expression on the last line, as a Python REPL does.</summary>
    [DefaultValue(true)]
    public bool LastLineInteractive { get; init; } = true;

    /// <summary>Stored files to place in the workspace before the code runs.</summary>
    public IReadOnlyList<ExecuteFileReference> Files { get; init; } = [];

    /// <summary>Environment variables for the code (at most 64, 64 KiB; names like PATH, PYTHON*, LD_* are reserved).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Command-line arguments: the code sees them as <c>sys.argv[1:]</c>.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Text files of a multi-file project, written into the workspace (with <see cref="Entrypoint"/>).</summary>
    public IReadOnlyList<SourceFileRequest> Sources { get; init; } = [];

    /// <summary>Path of the source to run as <c>__main__</c>, its folder on <c>sys.path</c>; excludes <see cref="Code"/>.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>Memory limit in MB, up to the server's MAX_MEMORY_LIMIT_MB (default: MEMORY_LIMIT_MB).</summary>
    public int? MemoryLimitMb { get; init; }

    /// <summary>CPU cores, up to the server's MAX_CPU_LIMIT (default: SANDBOX_CPUS).</summary>
    public double? CpuLimit { get; init; }

    /// <summary>
    /// Give the code network access through the server's egress proxy, to the hosts of EGRESS_DEFAULT_HOSTS (default: any
    /// host whose address is outside EGRESS_DENY_CIDRS); refused with 403 unless the server sets ALLOW_NETWORK=true.
    /// </summary>
    public bool Network { get; init; }

    /// <summary>
    /// Hosts the code may reach, and nothing else: host names (<c>api.example.com</c>), a wildcard first label
    /// (<c>*.example.org</c>, exactly one label) and an optional port (<c>:443</c>; none = any port). Traffic goes through
    /// the server's egress proxy (HTTP_PROXY/HTTPS_PROXY are set; the sandbox has no DNS). Each entry must be covered by
    /// the server's EGRESS_ALLOW_HOSTS (403 otherwise); a malformed entry is refused with 422 naming it.
    /// </summary>
    public IReadOnlyList<string> AllowHosts { get; init; } = [];

    /// <summary>Choose the executor image by Python version, from the server's EXECUTOR_IMAGES.</summary>
    public string? PythonVersion { get; init; }

    /// <summary>Choose the executor image by name, from the server's EXECUTOR_IMAGES.</summary>
    public string? Image { get; init; }

    /// <summary>
    /// Packages the code needs: a list of PEP 508 requirements (<c>["tqdm>=4", "tabulate"]</c>) or a requirements.txt
    /// text; no options, URLs or paths. What the executor image lacks is installed from the server's package source
    /// into a cached, read-only environment (422 naming the packages when the server has no source).
    /// </summary>
    public System.Text.Json.JsonElement? Requirements { get; init; }
}

/// <summary>An inline text file of a project.</summary>
public sealed class SourceFileRequest
{
    /// <summary>Relative path inside <c>/workspace</c>.</summary>
    [Required(AllowEmptyStrings = true)]
    public string? Path { get; init; }

    /// <summary>The file's text.</summary>
    [Required(AllowEmptyStrings = true)]
    public string? Content { get; init; }
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
