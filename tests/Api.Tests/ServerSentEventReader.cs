using System.Diagnostics;
using System.Text.Json;

namespace CodeInterpreter.Api.Tests;

/// <summary>One server-sent event as read by a test, with when it arrived (since the reading began).</summary>
internal sealed record ReadEvent(string Name, JsonElement Data, TimeSpan ArrivedAfter);

/// <summary>Reads a <c>text/event-stream</c> response the way a client does: event by event, as each arrives.</summary>
internal static class ServerSentEventReader
{
    /// <summary>Every event of the response, in order, until the stream ends.</summary>
    public static async Task<IReadOnlyList<ReadEvent>> ReadAllAsync(HttpResponseMessage response)
    {
        var clock = Stopwatch.StartNew();
        var events = new List<ReadEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(new ReadEvent(name!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone(), clock.Elapsed));
            }
        }

        return events;
    }
}
