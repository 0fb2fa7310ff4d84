using System.Text.Json.Serialization;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>The 202 answer of <c>/api/v1/exec/async</c>.</summary>
/// <param name="ExecutionId">The id to poll and to kill.</param>
public sealed record PyExecSubmitted([property: JsonPropertyName("execution_id")] string ExecutionId);
