namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>The body of <c>POST /api/v1/eval</c>: code, or files (which win), to run at once.</summary>
public sealed class PyExecEvalRequest
{
    /// <summary>The Python source to run.</summary>
    public string? Code { get; init; }

    /// <summary>A project's text files; when given, <see cref="Code"/> is ignored.</summary>
    public IReadOnlyList<PyExecEvalFile>? Files { get; init; }

    /// <summary>The file to run (default: the first file, else main.py).</summary>
    public string? Entrypoint { get; init; }

    /// <summary>Text fed to the program's standard input.</summary>
    public string? Stdin { get; init; }

    /// <summary>An image key from the server's EXECUTOR_IMAGES.</summary>
    public string? PythonVersion { get; init; }

    /// <summary>Report the repr of a trailing expression as <c>result</c> (python-executor's default: false).</summary>
    public bool EvalLastExpr { get; init; }

    /// <summary>Packages the code needs, requirements.txt style (<c>-</c>: no import detection).</summary>
    public string? RequirementsTxt { get; init; }

    /// <summary>Limits, clamped to the server's.</summary>
    public PyExecConfig? Config { get; init; }
}
