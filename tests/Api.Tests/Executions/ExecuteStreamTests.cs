using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>POST /v1/execute/stream: server-sent events as the code runs.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecuteStreamTests : RealEngineApiTests
{
    private static readonly Uri Stream = new("/v1/execute/stream", UriKind.Relative);

    private async Task<HttpResponseMessage> OpenAsync(object request, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Stream) { Content = JsonContent.Create(request) };
        return await Client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Reads server-sent events until the stream ends.</summary>
    private static async IAsyncEnumerable<(string Name, JsonElement Data)> ReadEventsAsync(HttpResponseMessage response)
    {
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
                yield return (name!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            }
        }
    }

    [Test]
    public async Task Display_events_arrive_as_items_appear_before_the_result_that_lists_them_too()
    {
        using var response = await OpenAsync(new { code = "display('first')\nprint('between', flush=True)\ndisplay({'second': 2})" });
        var events = new List<(string Name, JsonElement Data)>();
        await foreach (var e in ReadEventsAsync(response))
        {
            events.Add(e);
        }

        // Display items and output travel on separate pipes: their relative order is not defined, each one's own is.
        events.Select(e => e.Name).Where(n => n != "output").Should().Equal("display", "display", "result");
        var displayed = events.Where(e => e.Name == "display").Select(e => e.Data.GetRawText()).ToList();
        var result = events.Last().Data;
        result.GetProperty("outputs").EnumerateArray().Select(o => o.GetRawText()).Should().Equal(displayed);
        events.First(e => e.Name == "display").Data.GetProperty("data").GetProperty("text/plain").GetString().Should().Be("'first'");
        result.GetProperty("usage").GetProperty("wall_ms").ValueKind.Should().Be(JsonValueKind.Number);
    }

    [Test]
    public async Task Output_events_arrive_in_order_then_exactly_one_result()
    {
        using var response = await OpenAsync(new
        {
            code = "import sys, time\nprint('one', flush=True)\nprint('oops', file=sys.stderr, flush=True)\ntime.sleep(0.2)\nprint('two')",
        });
        var events = new List<(string Name, JsonElement Data)>();
        await foreach (var e in ReadEventsAsync(response))
        {
            events.Add(e);
        }

        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        response.Headers.CacheControl!.NoCache.Should().BeTrue();
        response.Headers.GetValues("X-Accel-Buffering").Should().Equal("no");
        events.Last().Name.Should().Be("result");
        events.Count(e => e.Name == "result").Should().Be(1);
        var output = events.Where(e => e.Name == "output").Select(e => (e.Data.GetProperty("stream").GetString(), e.Data.GetProperty("data").GetString())).ToList();
        string.Concat(output.Where(o => o.Item1 == "stdout").Select(o => o.Item2)).Should().Be("one\ntwo\n");
        string.Concat(output.Where(o => o.Item1 == "stderr").Select(o => o.Item2)).Should().Be("oops\n");
        output.FindIndex(o => o.Item2!.Contains("one", StringComparison.Ordinal))
            .Should().BeLessThan(output.FindIndex(o => o.Item2!.Contains("two", StringComparison.Ordinal)));
        var result = events.Last().Data;
        result.GetProperty("exit_code").GetInt32().Should().Be(0);
        result.GetProperty("files").ValueKind.Should().Be(JsonValueKind.Array);
        result.GetProperty("timed_out").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task A_timeout_mid_stream_ends_with_a_timed_out_result_after_the_output_so_far()
    {
        using var response = await OpenAsync(new { code = "print('started', flush=True)\nwhile True: pass", timeout_ms = 1000 });
        var events = new List<(string Name, JsonElement Data)>();
        await foreach (var e in ReadEventsAsync(response))
        {
            events.Add(e);
        }

        events.First().Name.Should().Be("output");
        events.First().Data.GetProperty("data").GetString().Should().Be("started\n");
        events.Last().Name.Should().Be("result");
        events.Last().Data.GetProperty("timed_out").GetBoolean().Should().BeTrue();
        events.Last().Data.GetProperty("exit_code").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Test]
    public async Task A_refused_request_is_answered_with_plain_problem_details_before_any_stream()
    {
        using var response = await OpenAsync(new { code = "print(1)", timeout_ms = 0 });

        ((int)response.StatusCode).Should().Be(422);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Test]
    public async Task Disconnecting_kills_the_sandbox()
    {
        using var cancel = new CancellationTokenSource();
        var response = await OpenAsync(new { code = RealEngine.PrintOwnContainerId + "import time\ntime.sleep(60)", timeout_ms = 60_000 }, cancel.Token);
        string sandboxId;
        await using (var enumerator = ReadEventsAsync(response).GetAsyncEnumerator())
        {
            (await enumerator.MoveNextAsync()).Should().BeTrue();
            enumerator.Current.Name.Should().Be("output");
            sandboxId = enumerator.Current.Data.GetProperty("data").GetString()!.Trim();
            (await RealEngine.ContainerExistsAsync(sandboxId)).Should().BeTrue("the sandbox runs while the client listens");
        }

        await cancel.CancelAsync();
        response.Dispose();

        (await RealEngine.EventuallyAsync(async () => !await RealEngine.ContainerExistsAsync(sandboxId), TimeSpan.FromSeconds(20)))
            .Should().BeTrue("the client went away, so its sandbox is killed long before the 60 s sleep ends");
    }
}
