using System.Text;
using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Executions;

/// <summary>
/// What a valid <see cref="ExecuteCodeCommand"/> becomes: the call with its checked timeout, staged files'
/// paths parsed, sources and project files as workspace files, limits and the image resolved.
/// </summary>
/// <remarks>
/// The rules and the plan are apart on purpose: <see cref="ExecuteCodeValidator"/> (run by the pipeline
/// before the handler) refuses what breaks a rule, and <see cref="Of"/> is a total function of a request it
/// passed, so nothing is checked twice. The other way, a validator that returns the plan, would need the
/// pipeline to smuggle the plan to the handler inside the message (state the Api could forge, and a
/// handler that no longer runs without its pipeline); here the pipeline stays generic and each handler
/// stays a plain function of its command.
/// </remarks>
internal sealed record ExecutionPlan(
    CodeCall Call,
    IReadOnlyList<(WorkspacePath Path, string FileId)> Files,
    IReadOnlyList<SandboxInputFile> Sources,
    string? Entrypoint,
    int MemoryLimitMb,
    double? CpuLimit,
    bool Network,
    string? Image)
{
    /// <summary>Report the trailing expression's value.</summary>
    public bool EvalLastExpression { get; init; }

    /// <summary>Shell lines run before the code.</summary>
    public IReadOnlyList<string> PreCommands { get; init; } = [];

    /// <summary>Hosts the code may reach through the egress proxy; empty = no restricted egress.</summary>
    public IReadOnlyList<Domain.Egress.EgressHost> AllowHosts { get; init; } = [];

    /// <summary>Packages to mount, and imports to detect.</summary>
    public PackageNeeds Packages { get; init; } = PackageNeeds.None;

    /// <summary>The checked wall-clock limit.</summary>
    public TimeSpan Timeout => Call.Timeout;

    /// <summary>The plan of a request that passed <see cref="ExecuteCodeValidator"/>; it cannot fail.</summary>
    public static ExecutionPlan Of(ExecuteCodeCommand command, ExecutionOptions limits) => new(
        CodeCall.Of(command),
        StagedFiles(command.Files),
        [
            .. command.Sources.Select(s => new SandboxInputFile(ExecutionRules.CheckedPath(s.Path), Encoding.UTF8.GetBytes(s.Content))),
            .. command.ProjectFiles.Select(f => new SandboxInputFile(ExecutionRules.CheckedPath(f.Path), f.Content)),
        ],
        command.Entrypoint,
        command.MemoryLimitMb ?? limits.MemoryLimitMb,
        command.CpuLimit,
        command.Network,
        ExecutionRules.FindImage(command.PythonVersion, command.Image, limits))
    {
        EvalLastExpression = command.EvalLastExpression,
        PreCommands = command.PreCommands,
        AllowHosts = EgressRules.Reachable(command.Network, command.AllowHosts, limits),
        Packages = NeedsOf(command),
    };

    private static PackageNeeds NeedsOf(ExecuteCodeCommand command)
    {
        var requirements = PackageRules.Checked(command.Requirements);
        if (!command.DetectImports)
        {
            return requirements.IsEmpty ? PackageNeeds.None : PackageNeeds.None with { Requirements = requirements };
        }

        var python = command.ProjectFiles.Where(f => f.Path.EndsWith(".py", StringComparison.Ordinal))
            .Select(f => Encoding.UTF8.GetString(f.Content.Span));
        string[] code = command.Code is { Length: > 0 } inline ? [inline] : [];
        return new PackageNeeds(
            requirements,
            [.. code, .. command.Sources.Where(s => s.Path.EndsWith(".py", StringComparison.Ordinal)).Select(s => s.Content), .. python],
            ImportScanner.ProjectModules([.. command.Sources.Select(s => s.Path), .. command.ProjectFiles.Select(f => f.Path)]));
    }

    /// <summary>Each staged file's checked path with its id (an execution's or a session's).</summary>
    public static IReadOnlyList<(WorkspacePath Path, string FileId)> StagedFiles(IReadOnlyList<WorkspaceFileReference> files) =>
        [.. files.Select(f => (ExecutionRules.CheckedPath(f.Path), f.FileId))];
}
