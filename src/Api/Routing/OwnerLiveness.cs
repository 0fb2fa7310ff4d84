using CodeInterpreter.Application.Sessions;
using Mediator;

namespace CodeInterpreter.Api.Routing;

/// <summary>What the forwarding replica concludes about a session's owner.</summary>
internal enum OwnerState
{
    /// <summary>It accepts connections.</summary>
    Reachable,

    /// <summary>It is gone: the session answers 410.</summary>
    Gone,

    /// <summary>It did not answer the probe in time but still sends its heartbeat: busy, not dead.</summary>
    Slow,
}

/// <summary>
/// Decides whether a session's owner is gone. Only certain evidence counts: a refused connection or a
/// name that no longer resolves is gone at once (within the probe's 750 ms); a probe that merely timed
/// out (an owner under load, a slow network) is never taken for death on its own: the owner is gone
/// then only if its heartbeat is also older than REPLICA_TIMEOUT_SEC.
/// </summary>
internal sealed class OwnerLiveness
{
    private readonly Func<string, CancellationToken, ValueTask<bool>> _heartbeatIsRecent;

    public OwnerLiveness(IMediator mediator)
        : this((replicaId, cancellationToken) => mediator.Send(new IsReplicaAliveQuery(replicaId), cancellationToken))
    {
    }

    /// <summary>With the heartbeat check given directly (tests).</summary>
    internal OwnerLiveness(Func<string, CancellationToken, ValueTask<bool>> heartbeatIsRecent) => _heartbeatIsRecent = heartbeatIsRecent;

    public async Task<OwnerState> CheckAsync(SessionRoute route, CancellationToken cancellationToken)
    {
        var probe = await OwnerProbe.ConnectAsync(route.OwnerUrl!, OwnerProbe.Timeout, cancellationToken).ConfigureAwait(false);
        return probe switch
        {
            ProbeResult.Reachable => OwnerState.Reachable,
            ProbeResult.Gone => OwnerState.Gone,
            _ => await _heartbeatIsRecent(route.OwnerReplicaId!, cancellationToken).ConfigureAwait(false)
                ? OwnerState.Slow
                : OwnerState.Gone,
        };
    }
}
