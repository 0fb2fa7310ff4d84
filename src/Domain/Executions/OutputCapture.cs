using System.Buffers;
using System.Text;

namespace CodeInterpreter.Domain.Executions;

/// <summary>
/// Collects one output stream of an execution up to a byte limit. Bytes past the limit are counted
/// but never stored, so a sandbox printing gigabytes costs the service no more than the limit.
/// </summary>
public sealed class OutputCapture
{
    /// <summary>Appended to text that was cut, as the reference API does.</summary>
    public const string TruncationMarker = "\n...[truncated]";

    private readonly ArrayBufferWriter<byte> _kept = new();

    public OutputCapture(long limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limitBytes);
        LimitBytes = limitBytes;
    }

    public long LimitBytes { get; }

    /// <summary>Every byte offered, kept or not.</summary>
    public long TotalBytes { get; private set; }

    public bool Truncated => TotalBytes > LimitBytes;

    /// <summary>Offers <paramref name="chunk"/>; returns how many of its leading bytes were kept.</summary>
    public int Append(ReadOnlySpan<byte> chunk)
    {
        TotalBytes += chunk.Length;
        var room = LimitBytes - _kept.WrittenCount;
        if (room <= 0)
        {
            return 0;
        }

        var kept = chunk.Length <= room ? chunk : chunk[..(int)room];
        _kept.Write(kept);
        return kept.Length;
    }

    /// <summary>The kept bytes as UTF-8 text (invalid sequences replaced), with the marker when cut.</summary>
    public string ToText()
    {
        var text = Encoding.UTF8.GetString(_kept.WrittenSpan);
        return Truncated ? text + TruncationMarker : text;
    }
}
