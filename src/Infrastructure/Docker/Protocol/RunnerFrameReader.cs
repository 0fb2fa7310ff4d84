using System.Buffers.Binary;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>
/// Cuts the runner's stdout into frames. Everything from a sandbox is hostile: the type must be
/// known and expected, and a length is checked against that type's bound before any payload memory
/// is allocated, so a forged header cannot make the service allocate more than the bound.
/// </summary>
internal sealed class RunnerFrameReader(RunnerFrameLimits limits)
{
    /// <summary>The bounds in force; a request that expects generated files widens them.</summary>
    public RunnerFrameLimits Limits { get; set; } = limits;

    private const int HeaderLength = 5;

    private readonly byte[] _header = new byte[HeaderLength];
    private int _headerFilled;
    private RunnerFrameType _type;
    private byte[]? _payload;
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

            var copy = Math.Min(_payload!.Length - _payloadFilled, data.Length);
            data[..copy].CopyTo(_payload.AsSpan(_payloadFilled));
            _payloadFilled += copy;
            data = data[copy..];
            if (_payloadFilled < _payload.Length)
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

        _type = type;
        _payload = length == 0 ? [] : new byte[length];
        _payloadFilled = 0;
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
