using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// How a queued command and a result are kept in PostgreSQL (jsonb). Reflection-based on purpose: a
/// field added to the command later (an optional one, by another feature) is kept without a change
/// here, and a row written by an older replica still reads (missing fields take their defaults).
/// </summary>
internal static class ExecutionJobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
