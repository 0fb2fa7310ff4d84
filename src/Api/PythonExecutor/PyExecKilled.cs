using System.Text.Json.Serialization;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>The answer of <c>DELETE /api/v1/executions/{id}</c>.</summary>
/// <param name="Status"><c>killed</c>, or the status of an execution that had already ended.</param>
public sealed record PyExecKilled([property: JsonPropertyName("status")] string Status);
