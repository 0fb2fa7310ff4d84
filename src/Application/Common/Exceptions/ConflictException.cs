namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>The resource cannot change now because of its state, e.g. it is in use (answered 409).</summary>
public sealed class ConflictException(string message) : Exception(message);
