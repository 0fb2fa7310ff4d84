using System.Text.Json;
using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>A display item as the API shows it: <c>application/json</c> as a JSON value, everything else as a string.</summary>
internal static class DisplayOutputContract
{
    public static DisplayOutputInfo ToInfo(DisplayOutput output) => new()
    {
        Type = output.Type,
        Data = output.Data.ToDictionary(
            entry => entry.Key,
            entry => entry.Key == DisplayOutput.JsonMimeType ? ParseJson(entry.Value) : JsonSerializer.SerializeToElement(entry.Value)),
        Truncated = output.Truncated,
    };

    private static JsonElement ParseJson(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
