namespace CodeInterpreter.Application.Executions;

/// <summary>
/// What a submitted execution runs, as data a store can keep and another process can run: the command
/// that already passed its validation, and who submitted it (its generated files are theirs).
/// </summary>
/// <param name="Command">The checked request, without an observer (nobody follows a background run live).</param>
/// <param name="Owner">The API key owner that submitted it (null without API keys).</param>
public sealed record QueuedExecution(ExecuteCodeCommand Command, string? Owner);
