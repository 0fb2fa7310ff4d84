namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>The thing existed but is gone for good, e.g. a session whose replica died (answered 410).</summary>
public sealed class GoneException(string message) : Exception(message);
