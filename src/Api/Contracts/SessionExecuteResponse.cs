using System.Text.Json.Serialization;
using NJsonSchema.Annotations;

namespace CodeInterpreter.Api.Contracts;

/// <summary>What one call in a session produced: the fields of <c>POST /v1/execute</c>'s answer, and whether the interpreter was restarted.</summary>
[JsonSchemaFlatten]
public sealed class SessionExecuteResponse : ExecutionOutput
{
    /// <summary>
    /// True when the session's interpreter ended during (or since) the previous call and a fresh one
    /// took its place: it ignored the interrupt of a timeout, ran out of memory or CPU time, or the
    /// code ended it. Variables and imports of earlier calls are then gone; workspace files are kept.
    /// </summary>
    /// <remarks>Last on the wire, after the shared fields: System.Text.Json would write a derived type's own properties first.</remarks>
    [JsonPropertyOrder(1)]
    public required bool InterpreterRestarted { get; init; }
}
