namespace CodeInterpreter.Application.Executions;

/// <summary>Run <see cref="Code"/> (or the project in <see cref="Sources"/>) once in a fresh sandbox.</summary>
public sealed record ExecuteCodeCommand(
    string? Code,
    string? Stdin,
    int TimeoutMs,
    bool LastLineInteractive,
    IReadOnlyList<WorkspaceFileReference> Files) : ICommand<ExecutionResult>, ICodeRequest
{
    /// <summary>Environment variables added for the code.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary><c>sys.argv[1:]</c>.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Text files of a multi-file project, written into the workspace.</summary>
    public IReadOnlyList<SourceFile> Sources { get; init; } = [];

    /// <summary>Files of a multi-file project with any bytes, written into the workspace like <see cref="Sources"/>.</summary>
    public IReadOnlyList<ProjectFile> ProjectFiles { get; init; } = [];

    /// <summary>The source to run as <c>__main__</c> (instead of <see cref="Code"/>): one of <see cref="Sources"/> or <see cref="ProjectFiles"/>.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>
    /// Report <c>repr()</c> of the trailing expression statement of what runs as <c>__main__</c> as
    /// <see cref="ExecutionResult.LastExpressionValue"/> instead of printing it (turns <see cref="LastLineInteractive"/>'s echo off).
    /// </summary>
    public bool EvalLastExpression { get; init; }

    /// <summary>
    /// Shell lines run first in the workspace as the sandbox user, joined by <c>&amp;&amp;</c> (<c>sh -c</c>), within the
    /// same deadline and limits as the code; their output comes first. If they fail, the run ends with their exit
    /// code and the code does not run.
    /// </summary>
    public IReadOnlyList<string> PreCommands { get; init; } = [];

    public int? MemoryLimitMb { get; init; }

    public double? CpuLimit { get; init; }

    public bool Network { get; init; }

    /// <summary>Hosts the code may reach through the egress proxy (restricted egress); empty = none.</summary>
    public IReadOnlyList<string> AllowHosts { get; init; } = [];

    public string? PythonVersion { get; init; }

    public string? Image { get; init; }

    /// <summary>
    /// Packages the code needs (PEP 508 lines, or requirements.txt text): what the executor image lacks is
    /// mounted from an environment built from the server's package source.
    /// </summary>
    public IReadOnlyList<string> Requirements { get; init; } = [];

    /// <summary>Also install what the code's imports need and the image lacks (a heuristic: never refuses the run).</summary>
    public bool DetectImports { get; init; }

    /// <summary>Follows the run as it happens (not part of the request body).</summary>
    public IExecutionObserver? Observer { get; init; }
}

/// <summary>A stored file to place at <see cref="Path"/> in the workspace before the code runs.</summary>
public sealed record WorkspaceFileReference(string Path, string FileId);

/// <summary>An inline text file of a project.</summary>
public sealed record SourceFile(string Path, string Content);

/// <summary>A file of a project with its bytes (e.g. a tar member), placed at <see cref="Path"/> (a workspace path) in the workspace.</summary>
public sealed record ProjectFile(string Path, ReadOnlyMemory<byte> Content);

/// <remarks>Reaches here only past <see cref="ExecuteCodeValidator"/>.</remarks>
internal sealed class ExecuteCodeHandler(
    ExecutionRunner runner, IFileStore files, IExecutionShares shares, IExecutionMetrics metrics, IOptions<ExecutionOptions> options)
    : ICommandHandler<ExecuteCodeCommand, ExecutionResult>
{
    public async ValueTask<ExecutionResult> Handle(ExecuteCodeCommand command, CancellationToken cancellationToken)
    {
        var plan = ExecutionPlan.Of(command, options.Value);
        var staged = await StagedFileReader.ResolveAsync(files, plan.Files, cancellationToken).ConfigureAwait(false);
        // The key's place is held while the call waits for a slot and runs, and given back however it ends.
        IAsyncDisposable place;
        try
        {
            place = await shares.EnterAsync(CallerContext.Owner, cancellationToken).ConfigureAwait(false);
        }
        catch (TooManyRequestsException refused)
        {
            // Refused like a full queue, and counted the same way.
            metrics.Record(ExecutionOutcomes.Of(refused), codeDuration: null);
            throw;
        }

        await using (place.ConfigureAwait(false))
        {
            return await runner.RunAsync(plan, staged, command.Observer, cancellationToken).ConfigureAwait(false);
        }
    }
}
