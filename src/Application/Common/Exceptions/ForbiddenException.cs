namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>The request asks for something this server does not allow (answered 403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);
