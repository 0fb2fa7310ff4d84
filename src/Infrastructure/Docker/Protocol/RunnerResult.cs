using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>The runner's result frame; hostile input, so every field is optional and bounded when used.</summary>
internal sealed record RunnerResult(
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("signal")] int? Signal,
    [property: JsonPropertyName("oom_kills")] long OomKills,
    [property: JsonPropertyName("error")] RunnerError? Error,
    [property: JsonPropertyName("directories")] IReadOnlyList<string>? Directories,
    [property: JsonPropertyName("files_dropped")] IReadOnlyList<RunnerDroppedFile>? FilesDropped,
    [property: JsonPropertyName("interpreter_restarted")] bool InterpreterRestarted = false,
    [property: JsonPropertyName("last_expression_value")] string? LastExpressionValue = null,
    [property: JsonPropertyName("usage")] RunnerUsage? Usage = null,
    [property: JsonPropertyName("outputs_dropped")] long OutputsDropped = 0);

/// <summary>What the run cost as the runner measured it; every number is checked before use.</summary>
internal sealed record RunnerUsage(
    [property: JsonPropertyName("cpu_ms")] long? CpuMs,
    [property: JsonPropertyName("peak_memory_bytes")] long? PeakMemoryBytes,
    [property: JsonPropertyName("wall_ms")] long? WallMs);

/// <summary>A generated file the runner did not send, and why.</summary>
internal sealed record RunnerDroppedFile(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>An uncaught exception as the runner reports it.</summary>
internal sealed record RunnerError(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("line")] int? Line);
