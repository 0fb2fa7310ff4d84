using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>Source-generated JSON for the one-shot request and what the runner sends back.</summary>
[JsonSerializable(typeof(RunnerRequest), GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(RunnerResult))]
[JsonSerializable(typeof(RunnerFailure))]
[JsonSerializable(typeof(RunnerFileHeader))]
internal sealed partial class RunnerJsonContext : JsonSerializerContext;
