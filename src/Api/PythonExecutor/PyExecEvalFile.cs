namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>One text file of an eval request's project.</summary>
public sealed class PyExecEvalFile
{
    /// <summary>Its path relative to the workspace.</summary>
    public string? Name { get; init; }

    /// <summary>Its text.</summary>
    public string? Content { get; init; }
}
