namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>The runner's stdin no longer takes input: its container has ended or the connection to the engine broke.</summary>
internal sealed class RunnerInputClosedException(Exception inner) : Exception("The runner's input is closed.", inner);
