namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The sandbox ended (or its stream broke) before the code started: nothing of the request ran, so
/// it is safe to run it again on another sandbox.
/// </summary>
internal sealed class SandboxNotStartedException(string message, Exception? inner = null) : Exception(message, inner);
