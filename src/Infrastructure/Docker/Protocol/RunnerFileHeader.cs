using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>The JSON header of a file frame.</summary>
internal sealed record RunnerFileHeader(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("size")] long Size);
