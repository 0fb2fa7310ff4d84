using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Domain.Sessions;

/// <summary>What one call of Python code in a session produced.</summary>
/// <param name="Execution">Output, exit code, timeout and the workspace files this call created or changed.</param>
/// <param name="InterpreterRestarted">
/// The session's interpreter ended during (or before) this call and a fresh one took its place: the
/// variables and imports of earlier calls are gone, the workspace files are not.
/// </param>
public sealed record SessionExecutionResult(ExecutionResult Execution, bool InterpreterRestarted);
