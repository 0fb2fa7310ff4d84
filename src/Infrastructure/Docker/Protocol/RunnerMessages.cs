using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>The one request frame the runner reads from stdin (PROTOCOL.md, "Request frame").</summary>
internal sealed record RunnerRequest(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("stdin")] string? Stdin,
    [property: JsonPropertyName("last_line_interactive")] bool LastLineInteractive,
    [property: JsonPropertyName("argv")] IReadOnlyList<string> Argv,
    [property: JsonPropertyName("env")] IReadOnlyDictionary<string, string> Env,
    [property: JsonPropertyName("cpu_time_limit_sec")] int CpuTimeLimitSec,
    [property: JsonPropertyName("max_output_bytes")] long MaxOutputBytes,
    [property: JsonPropertyName("fsize_limit_bytes")] long FsizeLimitBytes,
    [property: JsonPropertyName("nofile_limit")] int NofileLimit,
    [property: JsonPropertyName("files")] IReadOnlyList<RunnerInputFile> Files,
    [property: JsonPropertyName("max_files")] int MaxFiles,
    [property: JsonPropertyName("max_files_bytes")] long MaxFilesBytes,
    [property: JsonPropertyName("entrypoint")] string? Entrypoint = null)
{
    /// <summary>Length-prefixed UTF-8 JSON, ready to write to the runner's stdin.</summary>
    public byte[] ToFrame()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, RunnerJsonContext.Default.RunnerRequest);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)json.Length);
        json.CopyTo(frame.AsSpan(4));
        return frame;
    }
}

/// <summary>A file placed in the workspace before the code runs.</summary>
internal sealed record RunnerInputFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("data")] string Base64Data);

/// <summary>The runner's result frame; hostile input, so every field is optional and bounded when used.</summary>
internal sealed record RunnerResult(
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("signal")] int? Signal,
    [property: JsonPropertyName("oom_kills")] long OomKills,
    [property: JsonPropertyName("error")] RunnerError? Error,
    [property: JsonPropertyName("directories")] IReadOnlyList<string>? Directories,
    [property: JsonPropertyName("files_dropped")] IReadOnlyList<RunnerDroppedFile>? FilesDropped,
    [property: JsonPropertyName("interpreter_restarted")] bool InterpreterRestarted = false);

/// <summary>A generated file the runner did not send, and why.</summary>
internal sealed record RunnerDroppedFile(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>The JSON header of a file frame.</summary>
internal sealed record RunnerFileHeader(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("size")] long Size);

/// <summary>An uncaught exception as the runner reports it.</summary>
internal sealed record RunnerError(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("line")] int? Line);

/// <summary>The runner's own failure (an <c>x</c> frame).</summary>
internal sealed record RunnerFailure([property: JsonPropertyName("message")] string? Message);

[JsonSerializable(typeof(RunnerRequest))]
[JsonSerializable(typeof(RunnerResult))]
[JsonSerializable(typeof(RunnerFailure))]
[JsonSerializable(typeof(RunnerFileHeader))]
internal sealed partial class RunnerJsonContext : JsonSerializerContext;
