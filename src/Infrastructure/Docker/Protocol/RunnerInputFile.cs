using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>A file placed in the workspace before the code runs.</summary>
internal sealed record RunnerInputFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("data")] string Base64Data)
{
    public static RunnerInputFile Of(SandboxInputFile file) => new(file.Path.Value, Convert.ToBase64String(file.Content.Span));
}
