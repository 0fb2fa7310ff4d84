using System.Text;
using System.Text.Json;
using CodeInterpreter.Api.Mapping;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.Streaming;

/// <summary>
/// Relays one execution to its client as server-sent events (the reference's stream contract:
/// <c>output</c> events as output arrives, then exactly one <c>result</c>, or an <c>error</c>), plus our
/// <c>display</c> events, one per display item as it arrives (reference clients ignore unknown events).
/// The response starts only when the code starts, so a request refused before that is still
/// answered with plain problem details.
/// <para>
/// A client that reads too slowly would block the writes, and with them the execution and its slot.
/// So the stream must be written by <paramref name="deadline"/> after the code started (its timeout
/// plus a grace): past it, the connection is aborted, the execution ends and its slot is free.
/// </para>
/// </summary>
internal sealed partial class ServerSentEventsObserver(HttpResponse response, JsonSerializerOptions json, TimeSpan deadline)
    : IExecutionObserver, IDisposable
{
    /// <summary>How long a stream may still be written after its code's timeout.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Streams one execution (a one-shot or a session cell) whose code may run <paramref name="timeoutMs"/>:
    /// <paramref name="run"/> runs it with the observer that writes its events, then its result is the last
    /// event. A failure before the stream began propagates (plain problem details); once it has begun, it
    /// can only be told as an <c>error</c> event.
    /// </summary>
    public static async Task StreamAsync<TResult>(
        HttpResponse response, JsonSerializerOptions json, int timeoutMs, Func<IExecutionObserver, Task<TResult>> run,
        ILogger logger, CancellationToken cancellationToken)
    {
        using var events = new ServerSentEventsObserver(response, json, TimeSpan.FromMilliseconds(timeoutMs) + Grace);
        TResult result;
        try
        {
            result = await run(events).ConfigureAwait(false);
        }
        catch (Exception ex) when (events.Started && !cancellationToken.IsCancellationRequested)
        {
            LogStreamFailed(logger, ex);
            await events.WriteEventAsync("error", new StreamErrorEvent(ExecutionOutcomes.ClientMessage(ex)), cancellationToken).ConfigureAwait(false);
            return;
        }

        await events.WriteEventAsync("result", result, cancellationToken).ConfigureAwait(false);
    }

    private CancellationTokenSource? _deadline;
    private CancellationTokenRegistration _abort;

    public bool Started { get; private set; }

    public async ValueTask OnStartedAsync(CancellationToken cancellationToken)
    {
        if (Started)
        {
            return;
        }

        Started = true;
        _deadline = new CancellationTokenSource(deadline);
        _abort = _deadline.Token.Register(static context => ((HttpContext)context!).Abort(), response.HttpContext);
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

    /// <summary>The stream is written: the deadline no longer applies.</summary>
    public void Dispose()
    {
        _abort.Dispose();
        _deadline?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A streamed execution failed after its stream began")]
    private static partial void LogStreamFailed(ILogger logger, Exception ex);

    private sealed record OutputEvent(string Stream, string Data);
}

/// <summary>The payload of an <c>error</c> event.</summary>
internal sealed record StreamErrorEvent(string Message);
