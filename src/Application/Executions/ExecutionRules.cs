using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Application.Executions;

/// <summary>
/// What a valid execution request becomes: paths parsed, sources as workspace files, limits and the
/// image resolved. Anything invalid is refused with the field named (422) or as not allowed (403).
/// </summary>
internal sealed record ExecutionPlan(
    IReadOnlyList<WorkspacePath> FilePaths,
    IReadOnlyList<(WorkspacePath Path, byte[] Content)> Sources,
    string? Entrypoint,
    int MemoryLimitMb,
    double? CpuLimit,
    bool Network,
    string? Image);

/// <summary>The rules a request to execute must satisfy, against the server's limits.</summary>
internal static partial class ExecutionRules
{
    public const int MaxEnvVariables = 64;
    public const int MaxEnvBytes = 64 * 1024;
    public const int MaxArgs = 256;
    public const int MaxArgsBytes = 64 * 1024;
    public const int MaxSources = 100;
    public const int MinMemoryLimitMb = 16;

    /// <summary>Names the runtime and the runner depend on: setting them could subvert the sandbox's own code.</summary>
    private static readonly string[] ReservedEnvNames = ["PATH", "HOME", "MPLCONFIGDIR", "MPLBACKEND", "LANG", "LC_ALL"];
    private static readonly string[] ReservedEnvPrefixes = ["LD_", "PYTHON", "SANDBOX_", "RUNNER_"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    public static ExecutionPlan Check(ExecuteCodeCommand command, ExecutionOptions limits)
    {
        CheckCode(command, limits);
        if (command.Stdin is not null && Encoding.UTF8.GetByteCount(command.Stdin) > limits.MaxStdinBytes)
        {
            throw new RequestValidationException("stdin", $"stdin exceeds maximum of {limits.MaxStdinBytes} bytes");
        }

        CheckTimeout(command.TimeoutMs, limits);
        CheckEnv(command.Env);
        CheckArgs(command.Args);
        var filePaths = CheckFilePaths(command.Files, limits);
        var sources = CheckSources(command, limits, filePaths);
        return new ExecutionPlan(
            filePaths,
            sources,
            command.Entrypoint,
            CheckMemory(command.MemoryLimitMb, limits),
            CheckCpu(command.CpuLimit, limits),
            CheckNetwork(command.Network, limits),
            ResolveImage(command, limits));
    }

    private static void CheckCode(ExecuteCodeCommand command, ExecutionOptions limits)
    {
        var hasCode = !string.IsNullOrWhiteSpace(command.Code);
        if (command.Entrypoint is not null)
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

        if (Encoding.UTF8.GetByteCount(command.Code!) > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("code", $"code exceeds maximum of {limits.MaxCodeBytes} bytes");
        }
    }

    private static void CheckTimeout(int timeoutMs, ExecutionOptions limits)
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

    private static List<WorkspacePath> CheckFilePaths(IReadOnlyList<WorkspaceFileReference> files, ExecutionOptions limits)
    {
        if (files.Count > limits.MaxFilesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesPerExecution} per execution");
        }

        var paths = new List<WorkspacePath>(files.Count);
        foreach (var file in files)
        {
            paths.Add(ParseUnique("files", file.Path, paths));
        }

        return paths;
    }

    private static List<(WorkspacePath, byte[])> CheckSources(
        ExecuteCodeCommand command, ExecutionOptions limits, List<WorkspacePath> filePaths)
    {
        if (command.Sources.Count > MaxSources)
        {
            throw new RequestValidationException("sources", $"sources exceed maximum of {MaxSources} files");
        }

        var taken = new List<WorkspacePath>(filePaths);
        var sources = new List<(WorkspacePath, byte[])>(command.Sources.Count);
        long total = 0;
        foreach (var source in command.Sources)
        {
            var path = ParseUnique("sources", source.Path, taken);
            taken.Add(path);
            var content = Encoding.UTF8.GetBytes(source.Content);
            total += content.Length;
            sources.Add((path, content));
        }

        if (total > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("sources", $"sources exceed maximum of {limits.MaxCodeBytes} bytes in total");
        }

        if (command.Entrypoint is not null && !sources.Any(s => s.Item1.Value == command.Entrypoint))
        {
            throw new RequestValidationException("entrypoint", $"entrypoint '{Printable(command.Entrypoint)}' must be the path of one of the sources");
        }

        return sources;
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

    /// <summary>A sandbox's memory (executions and sessions alike): the server's default, or 16 MB .. MAX_MEMORY_LIMIT_MB.</summary>
    public static int CheckMemory(int? memoryLimitMb, ExecutionOptions limits)
    {
        if (memoryLimitMb is null)
        {
            return limits.MemoryLimitMb;
        }

        if (memoryLimitMb < MinMemoryLimitMb)
        {
            throw new RequestValidationException("memory_limit_mb", $"memory_limit_mb must be at least {MinMemoryLimitMb} MB");
        }

        return memoryLimitMb <= limits.MaxMemoryLimitMb
            ? memoryLimitMb.Value
            : throw new RequestValidationException("memory_limit_mb", $"memory_limit_mb exceeds maximum of {limits.MaxMemoryLimitMb} MB");
    }

    private static double? CheckCpu(double? cpuLimit, ExecutionOptions limits)
    {
        if (cpuLimit is null)
        {
            return null;
        }

        if (cpuLimit < 0.01)
        {
            throw new RequestValidationException("cpu_limit", "cpu_limit must be at least 0.01 cores");
        }

        return cpuLimit <= limits.MaxCpuLimit
            ? cpuLimit
            : throw new RequestValidationException(
                "cpu_limit", string.Create(CultureInfo.InvariantCulture, $"cpu_limit exceeds maximum of {limits.MaxCpuLimit} cores"));
    }

    private static bool CheckNetwork(bool network, ExecutionOptions limits) =>
        !network || limits.AllowNetwork
            ? network
            : throw new ForbiddenException("network access is not allowed on this server (ALLOW_NETWORK=false)");

    private static string? ResolveImage(ExecuteCodeCommand command, ExecutionOptions limits)
    {
        if (command.PythonVersion is null && command.Image is null)
        {
            return null;
        }

        if (command.PythonVersion is not null && command.Image is not null)
        {
            throw new RequestValidationException("image", "python_version and image are mutually exclusive: send one of them");
        }

        var allowed = limits.AllowedImages();
        var match = command.PythonVersion is not null
            ? allowed.Where(a => a.Key == command.PythonVersion)
            : allowed.Where(a => a.Value == command.Image || a.Key == command.Image);
        if (match.Any())
        {
            return match.First().Value;
        }

        var (field, value, choices) = command.PythonVersion is not null
            ? ("python_version", command.PythonVersion, allowed.Select(a => a.Key))
            : ("image", command.Image!, allowed.Select(a => a.Value));
        var list = string.Join(", ", choices);
        throw new RequestValidationException(field,
            $"{field} '{Printable(value)}' is not allowed; allowed: {(list.Length == 0 ? "none (only the default image)" : list)}");
    }

    private static string Printable(string text) =>
        new([.. text.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
