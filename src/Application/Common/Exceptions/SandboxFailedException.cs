namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>
/// The sandbox could not run the request to a result: the engine refused it, or the sandbox broke the
/// runner protocol (answered 502). Never raised for failures of the user's code, which are results.
/// </summary>
public sealed class SandboxFailedException(string message, Exception? inner = null) : Exception(message, inner);
