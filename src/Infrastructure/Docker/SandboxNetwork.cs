using Docker.DotNet;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The bridge network of sandboxes that asked for (and were allowed) network access: separate from
/// the engine's default bridge, with inter-container traffic off, so sandboxes cannot reach each
/// other, and with every packet from it to this host dropped (an iptables INPUT rule on its bridge
/// interface), so they reach neither the service's ports nor the engine. Without that rule the
/// network is refused, never handed out half-isolated.
/// </summary>
internal sealed partial class SandboxNetwork(IDockerClient docker, ILogger<SandboxNetwork> logger) : IDisposable
{
    public const string Name = "code-interpreter-sandboxes";

    /// <summary>The bridge interface on the host, named so the host rule can find it.</summary>
    public const string BridgeInterface = "cisandbox0";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _exists;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_exists)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await FencedBridge.EnsureAsync(docker, Name, BridgeInterface, cancellationToken).ConfigureAwait(false))
            {
                LogCreated(Name);
            }

            await BlockHostAsync(cancellationToken).ConfigureAwait(false);
            _exists = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Drops everything the sandbox network sends to this host (idempotent: checked first).</summary>
    private static async Task BlockHostAsync(CancellationToken cancellationToken)
    {
        if (!await HostFirewall.EnsureRuleAsync(["INPUT", "-i", BridgeInterface, "-j", "DROP"], cancellationToken).ConfigureAwait(false))
        {
            throw new Application.Common.Exceptions.ForbiddenException(
                "network access is allowed but cannot be isolated from this host (iptables is not usable by the service); refusing it");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the sandbox network {Network} (inter-container traffic off)")]
    private partial void LogCreated(string network);
}
