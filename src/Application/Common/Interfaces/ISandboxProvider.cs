using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Runs one request in a fresh, single-use, locked-down sandbox.</summary>
public interface ISandboxProvider
{
    /// <summary>
    /// Runs <paramref name="request"/> and returns its result. The deadline is enforced here (a timed
    /// out run is a result, not an exception); cancelling <paramref name="cancellationToken"/> kills the
    /// sandbox. The sandbox is destroyed before this returns.
    /// </summary>
    Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken);
}

/// <summary>Everything a sandbox needs for one execution, already validated.</summary>
public sealed record SandboxRequest(
    string ExecutionId,
    string Code,
    string? Stdin,
    bool LastLineInteractive,
    TimeSpan Timeout,
    SandboxLimits Limits)
{
    /// <summary>Files placed in the workspace before the code runs.</summary>
    public IReadOnlyList<SandboxInputFile> InputFiles { get; init; } = [];

    /// <summary>Where generated files go as they arrive; null = generated files are not collected.</summary>
    public IGeneratedFileSink? GeneratedFiles { get; init; }

    /// <summary><c>sys.argv[1:]</c> of the code.</summary>
    public IReadOnlyList<string> Argv { get; init; } = [];

    /// <summary>Environment variables added for the code (names already checked).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>A workspace path (one of <see cref="InputFiles"/>) to run instead of <see cref="Code"/>.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>Give the sandbox a network (only when the server allows it).</summary>
    public bool Network { get; init; }

    /// <summary>Executor image chosen from the server's allow-list; null = the default image.</summary>
    public string? Image { get; init; }

    /// <summary>Told when the code starts and of its output as it arrives; null = nobody listens.</summary>
    public IExecutionObserver? Observer { get; init; }
}

/// <summary>Which output stream a chunk came from.</summary>
public enum OutputChannel
{
    Stdout,
    Stderr,
}

/// <summary>Follows one execution as it happens (streaming, async status).</summary>
public interface IExecutionObserver
{
    /// <summary>The code is about to start (its sandbox is up and has the request).</summary>
    ValueTask OnStartedAsync(CancellationToken cancellationToken);

    /// <summary>A piece of output, in order, within the output cap (text decoded across chunk boundaries).</summary>
    ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken);
}

/// <summary>Resource bounds of one execution.</summary>
public sealed record SandboxLimits(int MemoryLimitMb, int CpuTimeLimitSec, long MaxOutputBytes)
{
    /// <summary>Most generated files returned.</summary>
    public int MaxGeneratedFiles { get; init; } = 100;

    /// <summary>Most bytes of generated files returned, in total.</summary>
    public long MaxGeneratedBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>CPU cores; null = the server's default.</summary>
    public double? Cpus { get; init; }
}

/// <summary>A file to place at <see cref="Path"/> in the workspace.</summary>
public sealed record SandboxInputFile(WorkspacePath Path, ReadOnlyMemory<byte> Content);

/// <summary>Keeps a generated file and says under which id.</summary>
public interface IGeneratedFileSink
{
    Task<StoredFile> StoreAsync(WorkspacePath path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);
}
