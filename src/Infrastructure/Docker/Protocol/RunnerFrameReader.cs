using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>
/// Cuts the runner's stdout into frames. Everything from a sandbox is hostile: the type must be
/// known and expected, and a length is checked against that type's bound before any payload memory
/// is allocated. Even within the bound, the payload's memory grows with the bytes that actually
/// arrive (from <see cref="InitialPayloadBytes"/>, doubling), so a forged header alone costs nothing.
/// </summary>
internal sealed class RunnerFrameReader(RunnerFrameLimits limits)
{
    /// <summary>The bounds in force; a request that expects generated files widens them.</summary>
    public RunnerFrameLimits Limits { get; set; } = limits;

    private const int HeaderLength = 5;

    /// <summary>The most a frame's payload holds before its bytes arrive.</summary>
    internal const int InitialPayloadBytes = 64 * 1024;

    private readonly byte[] _header = new byte[HeaderLength];
    private int _headerFilled;
    private RunnerFrameType _type;
    private byte[]? _payload;
    private int _payloadLength;
    private int _payloadFilled;

    /// <summary>Feeds bytes; completed frames are appended to <paramref name="completed"/>.</summary>
    /// <exception cref="RunnerProtocolException">The bytes are not a valid frame stream.</exception>
    public void Feed(ReadOnlySpan<byte> data, ICollection<RunnerFrame> completed)
    {
        while (true)
        {
            if (_payload is null)
            {
                if (data.IsEmpty)
                {
                    return;
                }

                var take = Math.Min(HeaderLength - _headerFilled, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += take;
                data = data[take..];
                if (_headerFilled < HeaderLength)
                {
                    return;
                }

                BeginPayload();
            }

            var copy = Math.Min(_payloadLength - _payloadFilled, data.Length);
            EnsureCapacity(_payloadFilled + copy);
            data[..copy].CopyTo(_payload.AsSpan(_payloadFilled));
            _payloadFilled += copy;
            data = data[copy..];
            if (_payloadFilled < _payloadLength)
            {
                return;
            }

            completed.Add(new RunnerFrame(_type, _payload));
            _payload = null;
            _headerFilled = 0;
        }
    }

    /// <summary>True between frames: the stream may end here without losing a frame.</summary>
    public bool AtFrameBoundary => _payload is null && _headerFilled == 0;

    private void BeginPayload()
    {
        var type = (RunnerFrameType)_header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(1));
        var max = Limits.MaxPayload(type)
            ?? throw new RunnerProtocolException($"unexpected frame type 0x{_header[0]:x2}");
        if (length > max)
        {
            throw new RunnerProtocolException($"frame '{(char)type}' of {length} bytes exceeds its bound of {max}");
        }

        if (length > Array.MaxLength)
        {
            throw new RunnerProtocolException($"frame '{(char)type}' of {length} bytes is larger than one buffer can hold");
        }

        _type = type;
        _payloadLength = (int)length;
        _payload = length == 0 ? [] : new byte[Math.Min(_payloadLength, InitialPayloadBytes)];
        _payloadFilled = 0;
    }

    [MemberNotNull(nameof(_payload))]
    private void EnsureCapacity(int needed)
    {
        if (needed <= _payload!.Length)
        {
            return;
        }

        var grown = new byte[(int)Math.Min(_payloadLength, Math.Max(needed, 2L * _payload.Length))];
        _payload.AsSpan(0, _payloadFilled).CopyTo(grown);
        _payload = grown;
    }
}

/// <summary>Largest accepted payload per frame type; null = the type is not accepted at all.</summary>
internal sealed record RunnerFrameLimits(
    int MaxResultBytes = 1 << 20, int MaxChunkBytes = 1 << 16, int MaxErrorBytes = 1 << 16, long MaxFileBytes = 0,
    int MaxDisplayBytes = 0)
{
    /// <summary>Largest header of a file frame: its length prefix and JSON.</summary>
    public const int MaxFileHeaderBytes = 4 + (1 << 16);

    public long? MaxPayload(RunnerFrameType type) => type switch
    {
        RunnerFrameType.Booted or RunnerFrameType.Ready or RunnerFrameType.Started => 0,
        RunnerFrameType.Stdout or RunnerFrameType.Stderr => MaxChunkBytes,
        RunnerFrameType.Result => MaxResultBytes,
        RunnerFrameType.RunnerError => MaxErrorBytes,
        RunnerFrameType.File when MaxFileBytes > 0 => MaxFileHeaderBytes + MaxFileBytes,
        RunnerFrameType.Display when MaxDisplayBytes > 0 => MaxDisplayBytes,
        _ => null,
    };
}
