using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The display items (<c>d</c> frames) of one run, checked as they arrive. The code can write anything on
/// its display pipe, so every item is hostile: its type must be known, its MIME types come from an
/// allow-list, images must be base64, and its content counts against MAX_OUTPUT_BYTES for all items
/// together and against MAX_OUTPUT_ITEMS. What is cut is marked <c>truncated</c>, never silently lost.
/// </summary>
internal sealed class DisplayOutputs(SandboxLimits limits)
{
    /// <summary>The MIME types an item may carry; anything else is cut.</summary>
    public static readonly IReadOnlySet<string> AllowedMimeTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "text/plain", "text/html", "text/markdown", "text/latex", DisplayOutput.JsonMimeType,
        "image/png", "image/jpeg", "image/svg+xml",
    };

    /// <summary>Most bytes of one <c>d</c> frame: the whole budget as ASCII JSON (6 bytes per escaped byte) and some room, at most 64 MiB.</summary>
    public static int MaxItemBytes(SandboxLimits limits) => (int)Math.Min(64L << 20, (6 * limits.MaxOutputBytes) + (64 << 10));

    private readonly List<DisplayOutput> _items = [];
    private long _bytes;

    /// <summary>The items kept, in order.</summary>
    public IReadOnlyList<DisplayOutput> Items => _items;

    /// <summary>Items arrived beyond MAX_OUTPUT_ITEMS (or the runner says it dropped some).</summary>
    public bool Truncated { get; private set; }

    /// <summary>Notes that the runner dropped items it did not relay.</summary>
    public void RunnerDropped(long count) => Truncated |= count > 0;

    /// <summary>Checks and keeps one item; returns it as kept, or null when it is over the item count.</summary>
    public DisplayOutput? Accept(ReadOnlySpan<byte> payload)
    {
        if (_items.Count >= limits.MaxOutputItems)
        {
            Truncated = true;
            return null;
        }

        var item = Parse(payload);
        _items.Add(item);
        return item;
    }

    private DisplayOutput Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
        JsonDocument document;
        try
        {
            document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                document.Dispose();
                return Unreadable();
            }
        }
        catch (JsonException)
        {
            return Unreadable();
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String
                || type.GetString() is not (DisplayOutput.DisplayData or DisplayOutput.ExecuteResult)
                || !root.TryGetProperty("data", out var data)
                || data.ValueKind != JsonValueKind.Object)
            {
                return Unreadable();
            }

            var truncated = root.TryGetProperty("truncated", out var flag) && flag.ValueKind == JsonValueKind.True;
            var bundle = new Dictionary<string, string>(StringComparer.Ordinal);
            // text/plain first: when the budget runs out, the plain form is the one worth keeping.
            foreach (var entry in data.EnumerateObject().OrderBy(e => e.Name == "text/plain" ? 0 : 1))
            {
                var content = Content(entry);
                var size = content is null ? 0 : Encoding.UTF8.GetByteCount(content);
                if (content is null || bundle.ContainsKey(entry.Name) || _bytes + size > limits.MaxOutputBytes)
                {
                    truncated = true;
                    continue;
                }

                _bytes += size;
                bundle[entry.Name] = content;
            }

            return new DisplayOutput(type.GetString()!, bundle, truncated);
        }
    }

    /// <summary>The entry's content when its MIME type is allowed and its value has the right form; null otherwise.</summary>
    private static string? Content(JsonProperty entry)
    {
        if (!AllowedMimeTypes.Contains(entry.Name))
        {
            return null;
        }

        if (entry.Name == DisplayOutput.JsonMimeType)
        {
            return entry.Value.GetRawText();
        }

        if (entry.Value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = entry.Value.GetString()!;
        return entry.Name is "image/png" or "image/jpeg" && !Base64.IsValid(text) ? null : text;
    }

    private static DisplayOutput Unreadable() =>
        new(DisplayOutput.DisplayData, new Dictionary<string, string>(), Truncated: true);
}
