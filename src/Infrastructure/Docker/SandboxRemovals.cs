using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Removes used sandboxes off the request path: a response does not wait for the engine to tear its
/// container down (that costs as much as the run of a small snippet). Removal itself is the same,
/// labelled and retried (<see cref="ContainerOperations.RemoveAsync"/>); shutdown waits for every
/// pending removal, and the orphan reaper covers a crash in between.
/// </summary>
internal sealed class SandboxRemovals : IHostedService
{
    private readonly ConcurrentDictionary<Task, byte> _pending = new();

    /// <summary>Removals not finished yet.</summary>
    public int Pending => _pending.Count;

    /// <param name="sandbox">The used sandbox.</param>
    /// <param name="notBefore">When given, the removal starts once it completes (see <see cref="SandboxPool.BurstPausedAsync"/>).</param>
    /// <param name="afterwards">When given, runs once the sandbox is removed (its egress network goes then).</param>
    public void Remove(SandboxContainer sandbox, Func<Task>? notBefore = null, Func<Task>? afterwards = null)
    {
        var removal = RemoveAsync(sandbox, notBefore, afterwards);
        _pending.TryAdd(removal, 0);
        _ = removal.ContinueWith(done => _pending.TryRemove(done, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task RemoveAsync(SandboxContainer sandbox, Func<Task>? notBefore, Func<Task>? afterwards)
    {
        if (notBefore is not null)
        {
            await notBefore().ConfigureAwait(false);
        }

        try
        {
            await sandbox.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (afterwards is not null)
            {
                await afterwards().ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(_pending.Keys).WaitAsync(cancellationToken);
}
