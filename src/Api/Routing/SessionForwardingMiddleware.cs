using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Sessions;
using Mediator;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace CodeInterpreter.Api.Routing;

/// <summary>
/// Sends a session call that reached a replica other than the session's owner to the owner's
/// REPLICA_URL with YARP's forwarder: request body, response and SSE stream pass through as they come,
/// never buffered whole, and the client's disconnect cancels the forwarded call. A forwarded call
/// carries <see cref="ReplicaHopTransformer.HopHeader"/> and is served where it lands, so a loop is
/// impossible. The owner is probed before the call and once a second while it runs; when
/// <see cref="OwnerLiveness"/> finds it gone the call answers 410 instead of hanging.
/// </summary>
internal sealed partial class SessionForwardingMiddleware(
    RequestDelegate next,
    IHttpForwarder forwarder,
    IMediator mediator,
    OwnerLiveness liveness,
    ReplicaClient client,
    IOptions<ReplicaOptions> replica,
    IOptions<ExecutionOptions> execution,
    ILogger<SessionForwardingMiddleware> logger)
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private const int SlowProbesBeforeTrying = 3;

    private readonly ReplicaHopTransformer _transformer = new(replica.Value.ReplicaId);

    // A session call answers when its code ends: no bytes flow for up to MAX_EXEC_TIMEOUT_MS.
    private readonly ForwarderRequestConfig _config = new()
    {
        ActivityTimeout = TimeSpan.FromMilliseconds(execution.Value.MaxExecTimeoutMs) + TimeSpan.FromSeconds(60),
    };

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers.ContainsKey(ReplicaHopTransformer.HopHeader) || SessionIdOf(context.Request.Path) is not { } sessionId)
        {
            await next(context);
            return;
        }

        var route = await mediator.Send(new LocateSessionQuery(sessionId), context.RequestAborted);
        if (!route.IsRemote)
        {
            await next(context);
            return;
        }

        await ForwardAsync(context, sessionId, route);
    }

    /// <summary>The session id of <c>/v1/sessions/{id}</c> and <c>/v1/sessions/{id}/...</c>; null for other paths.</summary>
    internal static string? SessionIdOf(PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 3
            && segments[0].Equals("v1", StringComparison.OrdinalIgnoreCase)
            && segments[1].Equals("sessions", StringComparison.OrdinalIgnoreCase)
            ? Uri.UnescapeDataString(segments[2])
            : null;
    }

    private async Task ForwardAsync(HttpContext context, string sessionId, SessionRoute route)
    {
        await EnsureOwnerNotGoneAsync(context, sessionId, route);

        using var watch = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var ownerGone = false;
        var watchdog = WatchOwnerAsync(route, () => ownerGone = true, watch);
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(
                context, route.OwnerUrl!.GetLeftPart(UriPartial.Authority), client.Invoker, _config, _transformer, watch.Token);
        }
        finally
        {
            await watch.CancelAsync();
            await watchdog;
        }

        if (error is ForwarderError.None or ForwarderError.RequestCanceled || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        // Failed before the owner answered: gone (410), or alive but unreachable now (503, retry).
        if (ownerGone || await liveness.CheckAsync(route, context.RequestAborted) == OwnerState.Gone)
        {
            LogOwnerGone(sessionId, route.OwnerReplicaId!, "during the call");
            throw route.OwnerGone(sessionId);
        }

        var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString();
        LogForwardFailed(sessionId, route.OwnerReplicaId!, error, reason);
        throw new ServiceUnavailableException(
            $"The replica holding session '{sessionId}' ({route.OwnerReplicaId}) could not be reached: {reason}. It still sends its heartbeat; try again.",
            TimeSpan.FromSeconds(1));
    }

    /// <summary>Refuses (410) before sending anything when the owner is gone; a merely slow one is probed a few times, then tried.</summary>
    private async Task EnsureOwnerNotGoneAsync(HttpContext context, string sessionId, SessionRoute route)
    {
        for (var attempt = 1; attempt <= SlowProbesBeforeTrying; attempt++)
        {
            switch (await liveness.CheckAsync(route, context.RequestAborted))
            {
                case OwnerState.Reachable:
                    return;
                case OwnerState.Gone:
                    LogOwnerGone(sessionId, route.OwnerReplicaId!, "before the call");
                    throw route.OwnerGone(sessionId);
                case OwnerState.Slow:
                    LogOwnerSlow(sessionId, route.OwnerReplicaId!, attempt);
                    break;
            }
        }
    }

    /// <summary>While the call runs: once a second, is the owner gone? Then the call is cancelled.</summary>
    private async Task WatchOwnerAsync(SessionRoute route, Action markGone, CancellationTokenSource call)
    {
        try
        {
            while (true)
            {
                await Task.Delay(ProbeInterval, call.Token);
                if (await liveness.CheckAsync(route, call.Token) == OwnerState.Gone)
                {
                    markGone();
                    await call.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (call.IsCancellationRequested)
        {
            // The call ended.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: its replica {ReplicaId} is gone ({When}); answering 410")]
    private partial void LogOwnerGone(string sessionId, string replicaId, string when);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: its replica {ReplicaId} did not answer probe {Attempt} in time but sends its heartbeat")]
    private partial void LogOwnerSlow(string sessionId, string replicaId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: forwarding to replica {ReplicaId} failed ({Error}): {Reason}")]
    private partial void LogForwardFailed(string sessionId, string replicaId, ForwarderError error, string reason);
}
