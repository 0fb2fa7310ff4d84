namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>The <c>metadata</c> part of <c>/api/v1/exec/sync</c> and <c>/api/v1/exec/async</c>.</summary>
public sealed class PyExecMetadata
{
    /// <summary>The file of the tar to run, relative to the workspace; required and must be in the tar.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>An image from the server's EXECUTOR_IMAGES.</summary>
    public string? DockerImage { get; init; }

    /// <summary>Packages the run needs, requirements.txt style.</summary>
    public string? RequirementsTxt { get; init; }

    /// <summary>Shell lines run first, in the workspace, as the sandbox user, within the same time limit.</summary>
    public IReadOnlyList<string>? PreCommands { get; init; }

    /// <summary>Text fed to the program's standard input.</summary>
    public string? Stdin { get; init; }

    /// <summary>Environment variables, <c>K=v</c> (or <c>K</c> alone: empty).</summary>
    public IReadOnlyList<string>? EnvVars { get; init; }

    /// <summary><c>sys.argv[1:]</c>.</summary>
    public IReadOnlyList<string>? ScriptArgs { get; init; }

    /// <summary>Limits, clamped to the server's.</summary>
    public PyExecConfig? Config { get; init; }
}
