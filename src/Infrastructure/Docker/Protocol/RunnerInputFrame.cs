using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>A frame the runner reads from stdin: 4-byte big-endian length, then UTF-8 JSON.</summary>
internal static class RunnerInputFrame
{
    /// <summary>An empty frame, never a request: a booted runner imports its preloads on it (PROTOCOL.md, "Boot").</summary>
    public static byte[] Empty => new byte[4];

    public static byte[] Encode<T>(T message, JsonTypeInfo<T> type)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, type);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)json.Length);
        json.CopyTo(frame.AsSpan(4));
        return frame;
    }
}
