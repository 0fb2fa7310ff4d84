using System.Net.Http.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Sessions;

/// <summary>POST /v1/sessions/{id}/execute/stream: a session call as server-sent events while it runs.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SessionStreamTests
{
    private ApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _factory = new ApiFactory(new Dictionary<string, string?>());
        _client = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private async Task<HttpResponseMessage> StreamAsync(string sessionId, object request) =>
        await _client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/sessions/{sessionId}/execute/stream", UriKind.Relative))
            {
                Content = JsonContent.Create(request),
            },
            HttpCompletionOption.ResponseHeadersRead);

    [Test]
    public async Task Output_arrives_while_the_cell_runs_then_one_result_with_the_session_fields()
    {
        await using var session = await _client.OpenTestSessionAsync();
        (await _client.SessionExecuteAsync(session.Id, new { code = "x = 41" })).Item1.Should().Be(200);

        using var response = await StreamAsync(session.Id, new
        {
            code = "import sys, time\nprint(x + 1, flush=True)\nprint('oops', file=sys.stderr, flush=True)\ntime.sleep(1)\nprint('done')",
            timeout_ms = 20_000,
        });
        var events = await ServerSentEventReader.ReadAllAsync(response);

        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        events[^1].Name.Should().Be("result");
        events.Count(e => e.Name == "result").Should().Be(1);
        var output = events.Where(e => e.Name == "output").ToList();
        string.Concat(output.Where(e => e.Data.GetProperty("stream").GetString() == "stdout").Select(e => e.Data.GetProperty("data").GetString()))
            .Should().Be("42\ndone\n", "the session's variable is there and stdout comes in order");
        string.Concat(output.Where(e => e.Data.GetProperty("stream").GetString() == "stderr").Select(e => e.Data.GetProperty("data").GetString()))
            .Should().Be("oops\n");
        var first = output.First(e => e.Data.GetProperty("data").GetString()!.Contains("42", StringComparison.Ordinal));
        (events[^1].ArrivedAfter - first.ArrivedAfter).Should().BeGreaterThan(
            TimeSpan.FromMilliseconds(800), "the first line was relayed before the cell's one-second sleep, not with the result");
        var result = events[^1].Data;
        result.GetProperty("stdout").GetString().Should().Be("42\ndone\n");
        result.GetProperty("exit_code").GetInt32().Should().Be(0);
        result.GetProperty("interpreter_restarted").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task An_unknown_session_is_refused_with_problem_details_before_any_event()
    {
        using var response = await StreamAsync("code-session-00000000000000000000000000000000", new { code = "print(1)" });

        ((int)response.StatusCode).Should().Be(404);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Test]
    public async Task A_bad_request_is_refused_with_validation_problem_details_before_any_event()
    {
        await using var session = await _client.OpenTestSessionAsync();

        using var response = await StreamAsync(session.Id, new { code = "print(1)", timeout_ms = 0 });

        ((int)response.StatusCode).Should().Be(422);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }
}
