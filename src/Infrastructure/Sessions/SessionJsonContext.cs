using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>Source-generated JSON for the ops a session's runner reads.</summary>
[JsonSerializable(typeof(SessionExecuteOp), GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(SessionFilesOp), GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(SessionInterruptOp), GenerationMode = JsonSourceGenerationMode.Serialization)]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
