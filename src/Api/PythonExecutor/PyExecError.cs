using System.Text.Json.Serialization;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>python-executor's error body.</summary>
/// <param name="Error">What went wrong, for a person.</param>
public sealed record PyExecError([property: JsonPropertyName("error")] string Error);
