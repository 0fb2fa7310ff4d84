using System.Text.Json;
using CodeInterpreter.Application.Common.Exceptions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>The <c>requirements</c> field of a request: a list of PEP 508 strings, or one requirements.txt text.</summary>
internal static class RequirementsField
{
    /// <summary>The field's lines (a text stays one entry: the Application splits it); absent or null = none.</summary>
    public static IReadOnlyList<string> Lines(JsonElement? value) => value switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => [],
        { ValueKind: JsonValueKind.String } text => [text.GetString()!],
        { ValueKind: JsonValueKind.Array } list when list.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String) =>
            [.. list.EnumerateArray().Select(e => e.GetString()!)],
        _ => throw new RequestValidationException(
            "requirements", "requirements must be a list of requirement strings (PEP 508) or a requirements.txt text"),
    };
}
