using System.Text;
using System.Text.Json;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.Streaming;

/// <summary>
/// Relays one execution to its client as server-sent events (the reference's stream contract:
/// <c>output</c> events as output arrives, then exactly one <c>result</c>, or an <c>error</c>), plus our
/// <c>display</c> events, one per display item as it arrives (reference clients ignore unknown events).
/// The response starts only when the code starts, so a request refused before that is still
/// answered with plain problem details.
/// </summary>
internal sealed class ServerSentEventsObserver(HttpResponse response, JsonSerializerOptions json) : IExecutionObserver
{
    public bool Started { get; private set; }

    public async ValueTask OnStartedAsync(CancellationToken cancellationToken)
    {
        if (Started)
        {
            return;
        }

        Started = true;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken) =>
        WriteEventAsync("output", new OutputEvent(stream == OutputChannel.Stdout ? "stdout" : "stderr", text), cancellationToken);

    public ValueTask OnDisplayAsync(DisplayOutput output, CancellationToken cancellationToken) =>
        WriteEventAsync("display", DisplayOutputContract.ToInfo(output), cancellationToken);

    public async ValueTask WriteEventAsync<T>(string name, T data, CancellationToken cancellationToken)
    {
        await OnStartedAsync(cancellationToken).ConfigureAwait(false);
        var payload = JsonSerializer.Serialize(data, json);
        await response.WriteAsync($"event: {name}\ndata: {payload}\n\n", Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed record OutputEvent(string Stream, string Data);
}

/// <summary>The payload of an <c>error</c> event.</summary>
internal sealed record StreamErrorEvent(string Message);
