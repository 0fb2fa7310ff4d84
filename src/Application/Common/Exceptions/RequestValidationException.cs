namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>A request that is well-formed but not acceptable (answered 422).</summary>
public sealed class RequestValidationException(string field, string message) : Exception(message)
{
    /// <summary>The request field at fault, in the API's own spelling (e.g. <c>timeout_ms</c>).</summary>
    public string Field { get; } = field;
}
