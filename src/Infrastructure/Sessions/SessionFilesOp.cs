using System.Text.Json.Serialization;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>Writes files into the session's workspace.</summary>
internal sealed record SessionFilesOp([property: JsonPropertyName("files")] IReadOnlyList<RunnerInputFile> Files)
{
    [JsonPropertyName("op")]
    public string Op { get; } = "files";

    public byte[] ToFrame() => RunnerInputFrame.Encode(this, SessionJsonContext.Default.SessionFilesOp);
}
