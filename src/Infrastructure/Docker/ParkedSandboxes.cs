namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The pool's parking side: sandboxes waiting for one request each, warm ones (preloads imported)
/// and ones parked as booted (preloads pending: leased as they are, or preloaded once the pool is
/// calm). A parked sandbox that died (an engine restart) is discarded when found. Not thread-safe:
/// the pool calls it under its gate, and discards found dead outside it.
/// </summary>
internal sealed partial class ParkedSandboxes(ILogger logger)
{
    private readonly Queue<SandboxContainer> _warm = new();
    private readonly Queue<SandboxContainer> _booted = new();

    public int WarmCount => _warm.Count;

    public int BootedCount => _booted.Count;

    public int Count => _warm.Count + _booted.Count;

    /// <summary>Parks a sandbox by how far it has booted.</summary>
    public void Park(SandboxContainer sandbox) => (sandbox.Boot == SandboxBoot.Ready ? _warm : _booted).Enqueue(sandbox);

    /// <summary>A live sandbox to lease, warm ones first; null when none is parked.</summary>
    public SandboxContainer? TakeAlive() => TakeAlive(_warm) ?? TakeAlive(_booted);

    /// <summary>A live sandbox parked as booted, to import its preloads; null when none is.</summary>
    public SandboxContainer? TakeAliveBooted() => TakeAlive(_booted);

    /// <summary>Takes out every sandbox that died while parked (for <see cref="DiscardAsync"/>).</summary>
    public List<SandboxContainer> TakeDead()
    {
        List<SandboxContainer> dead = [];
        foreach (var parked in new[] { _warm, _booted })
        {
            // One look at each: a sandbox that dies between two looks must not fall out of both lists.
            for (var i = parked.Count; i > 0; i--)
            {
                var sandbox = parked.Dequeue();
                if (sandbox.IsAlive)
                {
                    parked.Enqueue(sandbox);
                }
                else
                {
                    dead.Add(sandbox);
                }
            }
        }

        return dead;
    }

    /// <summary>Takes out every parked sandbox (the pool drains).</summary>
    public List<SandboxContainer> TakeAll()
    {
        List<SandboxContainer> all = [.. _warm, .. _booted];
        _warm.Clear();
        _booted.Clear();
        return all;
    }

    /// <summary>Removes sandboxes that died while parked.</summary>
    public async Task DiscardAsync(IEnumerable<SandboxContainer> dead)
    {
        foreach (var sandbox in dead)
        {
            LogDiscarded(sandbox.Id);
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A dequeued sandbox that is still alive; dead ones are discarded on the way.</summary>
    private SandboxContainer? TakeAlive(Queue<SandboxContainer> parked)
    {
        while (parked.TryDequeue(out var sandbox))
        {
            if (sandbox.IsAlive)
            {
                return sandbox;
            }

            LogDiscarded(sandbox.Id);
            _ = sandbox.DisposeAsync().AsTask();
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm sandbox {ContainerId} died while parked; replacing it")]
    private partial void LogDiscarded(string containerId);
}
