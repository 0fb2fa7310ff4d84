namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>A referenced resource does not exist (answered 404). The message says "not found".</summary>
public sealed class NotFoundException(string message) : Exception(message);
