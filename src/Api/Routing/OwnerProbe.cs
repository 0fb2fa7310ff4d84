using System.Net.Sockets;

namespace CodeInterpreter.Api.Routing;

/// <summary>What a TCP connect to a session's owner found.</summary>
internal enum ProbeResult
{
    /// <summary>The owner accepted the connection.</summary>
    Reachable,

    /// <summary>Nothing listens there any more (refused), or its name no longer resolves: the owner is gone.</summary>
    Gone,

    /// <summary>No answer within the probe's time: a busy or briefly unreachable owner looks the same as a dead one.</summary>
    NoAnswer,
}

/// <summary>One TCP connect to a replica's internal address, bounded in time.</summary>
internal static class OwnerProbe
{
    /// <summary>How long a connect may take before the probe says <see cref="ProbeResult.NoAnswer"/>.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(750);

    public static async Task<ProbeResult> ConnectAsync(Uri owner, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(owner.Host, owner.Port, deadline.Token).ConfigureAwait(false);
            return ProbeResult.Reachable;
        }
        catch (SocketException ex) when (IsDefinitive(ex.SocketErrorCode))
        {
            return ProbeResult.Gone;
        }
        catch (SocketException)
        {
            // A resolver that failed for now (TryAgain), a full backlog, ...: not proof of death.
            return ProbeResult.NoAnswer;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeResult.NoAnswer;
        }
    }

    // The kernel or the resolver says so for certain: no process listens on the port (a replica whose
    // process died, on a host that lives), no such host (compose and Kubernetes remove a dead
    // container's name), or no route to it (its address left the network).
    private static bool IsDefinitive(SocketError error) =>
        error is SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NoData
            or SocketError.HostUnreachable or SocketError.NetworkUnreachable;
}
