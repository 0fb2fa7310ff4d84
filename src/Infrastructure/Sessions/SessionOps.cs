using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>Runs a cell in the session's interpreter (PROTOCOL.md, "Session mode").</summary>
internal sealed record SessionExecuteOp(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("stdin")] string? Stdin,
    [property: JsonPropertyName("last_line_interactive")] bool LastLineInteractive,
    [property: JsonPropertyName("argv")] IReadOnlyList<string> Argv,
    [property: JsonPropertyName("env")] IReadOnlyDictionary<string, string> Env,
    [property: JsonPropertyName("cpu_time_limit_sec")] int CpuTimeLimitSec,
    [property: JsonPropertyName("max_output_bytes")] long MaxOutputBytes,
    [property: JsonPropertyName("fsize_limit_bytes")] long FsizeLimitBytes,
    [property: JsonPropertyName("nofile_limit")] int NofileLimit,
    [property: JsonPropertyName("max_files")] int MaxFiles,
    [property: JsonPropertyName("max_files_bytes")] long MaxFilesBytes,
    [property: JsonPropertyName("interrupt_grace_ms")] int InterruptGraceMs)
{
    [JsonPropertyName("op")]
    public string Op { get; } = "execute";

    public byte[] ToFrame() => SessionOpFrame.Of(this, SessionJsonContext.Default.SessionExecuteOp);
}

/// <summary>Writes files into the session's workspace.</summary>
internal sealed record SessionFilesOp([property: JsonPropertyName("files")] IReadOnlyList<RunnerInputFile> Files)
{
    [JsonPropertyName("op")]
    public string Op { get; } = "files";

    public byte[] ToFrame() => SessionOpFrame.Of(this, SessionJsonContext.Default.SessionFilesOp);
}

/// <summary>Interrupts the running cell: KeyboardInterrupt, then a restart of the interpreter after the grace.</summary>
internal sealed record SessionInterruptOp
{
    [JsonPropertyName("op")]
    public string Op { get; } = "interrupt";

    public static readonly byte[] Frame = SessionOpFrame.Of(new SessionInterruptOp(), SessionJsonContext.Default.SessionInterruptOp);
}

/// <summary>An op as the runner reads it: 4-byte big-endian length, then UTF-8 JSON.</summary>
internal static class SessionOpFrame
{
    public static byte[] Of<T>(T op, JsonTypeInfo<T> type)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(op, type);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)json.Length);
        json.CopyTo(frame.AsSpan(4));
        return frame;
    }
}

[JsonSerializable(typeof(SessionExecuteOp))]
[JsonSerializable(typeof(SessionFilesOp))]
[JsonSerializable(typeof(SessionInterruptOp))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
