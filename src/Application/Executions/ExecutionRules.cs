using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CodeInterpreter.Application.Executions;

/// <summary>The rules a request to execute must satisfy, against the server's limits.</summary>
internal static partial class ExecutionRules
{
    public const int MaxEnvVariables = 64;
    public const int MaxEnvBytes = 64 * 1024;
    public const int MaxArgs = 256;
    public const int MaxArgsBytes = 64 * 1024;
    public const int MaxSources = 100;
    public const int MinMemoryLimitMb = 16;
    public const int MaxPreCommands = 64;

    /// <summary>Joined, the pre-commands are one argument of <c>execve</c>, which Linux caps at 128 KiB.</summary>
    public const int MaxPreCommandsBytes = 64 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Names the runtime and the runner depend on: setting them could subvert the sandbox's own code.</summary>
    private static readonly string[] ReservedEnvNames = ["PATH", "HOME", "MPLCONFIGDIR", "MPLBACKEND", "LANG", "LC_ALL"];
    private static readonly string[] ReservedEnvPrefixes = ["LD_", "PYTHON", "SANDBOX_", "RUNNER_"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    /// <summary>
    /// What every request to run code carries (a one-off execution and a call into a session alike):
    /// code (or, for an execution, an <paramref name="entrypoint"/> instead), stdin, timeout, env and args.
    /// </summary>
    public static void CheckCodeRequest(ICodeRequest request, ExecutionOptions limits, string? entrypoint = null)
    {
        CheckCode(request.Code, entrypoint, limits);
        if (request.Stdin is not null && Encoding.UTF8.GetByteCount(request.Stdin) > limits.MaxStdinBytes)
        {
            throw new RequestValidationException("stdin", $"stdin exceeds maximum of {limits.MaxStdinBytes} bytes");
        }

        CheckTimeout(request.TimeoutMs, limits);
        CheckEnv(request.Env);
        CheckArgs(request.Args);
    }

    private static void CheckCode(string? code, string? entrypoint, ExecutionOptions limits)
    {
        var hasCode = !string.IsNullOrWhiteSpace(code);
        if (entrypoint is not null)
        {
            if (hasCode)
            {
                throw new RequestValidationException("entrypoint", "code and entrypoint are mutually exclusive: send one of them");
            }

            return;
        }

        if (!hasCode)
        {
            throw new RequestValidationException("code", "code must not be empty");
        }

        if (Encoding.UTF8.GetByteCount(code!) > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("code", $"code exceeds maximum of {limits.MaxCodeBytes} bytes");
        }
    }

    /// <summary>A wall-clock limit of code or of a shell command: 1 ms .. MAX_EXEC_TIMEOUT_MS.</summary>
    public static void CheckTimeout(int timeoutMs, ExecutionOptions limits)
    {
        if (timeoutMs < 1)
        {
            throw new RequestValidationException("timeout_ms", "timeout_ms must be at least 1 ms");
        }

        if (timeoutMs > limits.MaxExecTimeoutMs)
        {
            throw new RequestValidationException("timeout_ms", $"timeout_ms exceeds maximum of {limits.MaxExecTimeoutMs} ms");
        }
    }

    private static void CheckEnv(IReadOnlyDictionary<string, string> env)
    {
        if (env.Count > MaxEnvVariables)
        {
            throw new RequestValidationException("env", $"env exceeds maximum of {MaxEnvVariables} variables");
        }

        var bytes = 0;
        foreach (var (name, value) in env)
        {
            if (!EnvName().IsMatch(name))
            {
                throw new RequestValidationException("env", $"env name '{Printable(name)}' is not valid: letters, digits and '_', not starting with a digit");
            }

            if (ReservedEnvNames.Contains(name, StringComparer.OrdinalIgnoreCase)
                || ReservedEnvPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                throw new RequestValidationException("env", $"env name '{name}' is reserved by the sandbox");
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new RequestValidationException("env", $"env value of '{name}' must not contain NUL");
            }

            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }

        if (bytes > MaxEnvBytes)
        {
            throw new RequestValidationException("env", $"env exceeds maximum of {MaxEnvBytes} bytes");
        }
    }

    private static void CheckArgs(IReadOnlyList<string> args)
    {
        if (args.Count > MaxArgs)
        {
            throw new RequestValidationException("args", $"args exceed maximum of {MaxArgs} arguments");
        }

        if (args.Any(a => a.Contains('\0', StringComparison.Ordinal)))
        {
            throw new RequestValidationException("args", "args must not contain NUL");
        }

        if (args.Sum(a => Encoding.UTF8.GetByteCount(a)) > MaxArgsBytes)
        {
            throw new RequestValidationException("args", $"args exceed maximum of {MaxArgsBytes} bytes");
        }
    }

    /// <summary>
    /// Stored files to stage into a workspace (of an execution or a session, as <paramref name="per"/> says):
    /// at most MAX_FILES_PER_EXECUTION, each path valid and given once. Returns the paths taken.
    /// </summary>
    public static List<WorkspacePath> CheckFiles(IReadOnlyList<WorkspaceFileReference> files, ExecutionOptions limits, string per)
    {
        if (files.Count > limits.MaxFilesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesPerExecution} per {per}");
        }

        var paths = new List<WorkspacePath>(files.Count);
        foreach (var file in files)
        {
            paths.Add(ParseUnique("files", file.Path, paths));
        }

        return paths;
    }

    /// <summary>
    /// The files of a project: the inline sources (at most <see cref="MaxSources"/> and MAX_CODE_BYTES in total)
    /// and the project files with bytes (at most MAX_FILES_PER_EXECUTION and MAX_FILES_MB_PER_EXECUTION in total),
    /// each path valid and not <paramref name="taken"/> by a staged file or another project file, the entrypoint
    /// one of them.
    /// </summary>
    public static void CheckSources(
        IReadOnlyList<SourceFile> sources, IReadOnlyList<ProjectFile> projectFiles, string? entrypoint, ExecutionOptions limits,
        IReadOnlyList<WorkspacePath> taken)
    {
        if (sources.Count > MaxSources)
        {
            throw new RequestValidationException("sources", $"sources exceed maximum of {MaxSources} files");
        }

        var paths = new List<WorkspacePath>(taken);
        long total = 0;
        foreach (var source in sources)
        {
            paths.Add(ParseUnique("sources", source.Path, paths));
            total += Encoding.UTF8.GetByteCount(source.Content);
        }

        if (total > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("sources", $"sources exceed maximum of {limits.MaxCodeBytes} bytes in total");
        }

        CheckProjectFiles(projectFiles, limits, paths);

        if (entrypoint is not null && !paths.Skip(taken.Count).Any(p => p.Value == entrypoint))
        {
            throw new RequestValidationException("entrypoint", $"entrypoint '{Printable(entrypoint)}' must be the path of one of the sources");
        }
    }

    private static void CheckProjectFiles(IReadOnlyList<ProjectFile> projectFiles, ExecutionOptions limits, List<WorkspacePath> paths)
    {
        if (projectFiles.Count > limits.MaxFilesPerExecution)
        {
            throw new RequestValidationException("project_files", $"project files exceed maximum of {limits.MaxFilesPerExecution} per execution");
        }

        long total = 0;
        foreach (var file in projectFiles)
        {
            paths.Add(ParseUnique("project_files", file.Path, paths));
            total += file.Content.Length;
        }

        if (total > limits.MaxFilesBytesPerExecution)
        {
            throw new RequestValidationException(
                "project_files", $"project files exceed maximum of {limits.MaxFilesMbPerExecution} MB per execution");
        }
    }

    /// <summary>
    /// Shell lines to run before the code: at most <see cref="MaxPreCommands"/>, together at most MAX_CODE_BYTES and
    /// <see cref="MaxPreCommandsBytes"/> UTF-8 bytes, none with NUL or a lone surrogate (neither reaches a shell).
    /// </summary>
    public static void CheckPreCommands(IReadOnlyList<string> preCommands, ExecutionOptions limits)
    {
        if (preCommands.Count > MaxPreCommands)
        {
            throw new RequestValidationException("pre_commands", $"pre_commands exceed maximum of {MaxPreCommands} lines");
        }

        long total = 0;
        foreach (var line in preCommands)
        {
            if (line.Contains('\0', StringComparison.Ordinal))
            {
                throw new RequestValidationException("pre_commands", "pre_commands must not contain NUL");
            }

            try
            {
                total += StrictUtf8.GetByteCount(line);
            }
            catch (EncoderFallbackException)
            {
                throw new RequestValidationException("pre_commands", "pre_commands must be valid Unicode text");
            }
        }

        var max = Math.Min(limits.MaxCodeBytes, MaxPreCommandsBytes);
        if (total > max)
        {
            throw new RequestValidationException("pre_commands", $"pre_commands exceed maximum of {max} bytes in total");
        }
    }

    private static WorkspacePath ParseUnique(string field, string path, List<WorkspacePath> taken)
    {
        if (!WorkspacePath.TryParse(path, out var parsed, out var error))
        {
            throw new RequestValidationException(field, error);
        }

        if (taken.Contains(parsed))
        {
            throw new RequestValidationException(field, $"File paths must be unique: '{parsed.Value}' is given twice");
        }

        return parsed;
    }

    /// <summary>A sandbox's memory (executions and sessions alike): null (the server's default), or 16 MB .. MAX_MEMORY_LIMIT_MB.</summary>
    public static void CheckMemory(int? memoryLimitMb, ExecutionOptions limits)
    {
        if (memoryLimitMb < MinMemoryLimitMb)
        {
            throw new RequestValidationException("memory_limit_mb", $"memory_limit_mb must be at least {MinMemoryLimitMb} MB");
        }

        if (memoryLimitMb > limits.MaxMemoryLimitMb)
        {
            throw new RequestValidationException("memory_limit_mb", $"memory_limit_mb exceeds maximum of {limits.MaxMemoryLimitMb} MB");
        }
    }

    /// <summary>CPU cores: null (the server's default), or 0.01 .. MAX_CPU_LIMIT.</summary>
    public static void CheckCpu(double? cpuLimit, ExecutionOptions limits)
    {
        if (cpuLimit < 0.01)
        {
            throw new RequestValidationException("cpu_limit", "cpu_limit must be at least 0.01 cores");
        }

        if (cpuLimit > limits.MaxCpuLimit)
        {
            throw new RequestValidationException(
                "cpu_limit", string.Create(CultureInfo.InvariantCulture, $"cpu_limit exceeds maximum of {limits.MaxCpuLimit} cores"));
        }
    }

    /// <summary>A network only when the server allows it (ALLOW_NETWORK).</summary>
    public static void CheckNetwork(bool network, ExecutionOptions limits)
    {
        if (network && !limits.AllowNetwork)
        {
            throw new ForbiddenException("network access is not allowed on this server (ALLOW_NETWORK=false)");
        }
    }

    /// <summary>At most one of <paramref name="pythonVersion"/> and <paramref name="image"/>, and only one on the server's allow-list.</summary>
    public static void CheckImage(string? pythonVersion, string? image, ExecutionOptions limits)
    {
        if (pythonVersion is null && image is null)
        {
            return;
        }

        if (pythonVersion is not null && image is not null)
        {
            throw new RequestValidationException("image", "python_version and image are mutually exclusive: send one of them");
        }

        if (FindImage(pythonVersion, image, limits) is not null)
        {
            return;
        }

        var allowed = limits.AllowedImages();
        var (field, value, choices) = pythonVersion is not null
            ? ("python_version", pythonVersion, allowed.Select(a => a.Key))
            : ("image", image!, allowed.Select(a => a.Value));
        var list = string.Join(", ", choices);
        throw new RequestValidationException(field,
            $"{field} '{Printable(value)}' is not allowed; allowed: {(list.Length == 0 ? "none (only the default image)" : list)}");
    }

    /// <summary>
    /// The allowed image that <paramref name="pythonVersion"/> (its key) or <paramref name="image"/> (its
    /// reference or key) names; null when neither is given (the default image) or it is not allowed.
    /// </summary>
    public static string? FindImage(string? pythonVersion, string? image, ExecutionOptions limits)
    {
        var allowed = limits.AllowedImages();
        var match = pythonVersion is not null
            ? allowed.Where(a => a.Key == pythonVersion)
            : allowed.Where(a => a.Value == image || a.Key == image);
        return match.Select(a => a.Value).FirstOrDefault();
    }

    /// <summary>The workspace path of a request its rules passed (a rule-breaking one here is a bug, not a bad request).</summary>
    public static WorkspacePath CheckedPath(string path) =>
        WorkspacePath.TryParse(path, out var parsed, out var error)
            ? parsed
            : throw new InvalidOperationException($"A path that was not checked reached a use case: {error}");

    private static string Printable(string text) =>
        new([.. text.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
