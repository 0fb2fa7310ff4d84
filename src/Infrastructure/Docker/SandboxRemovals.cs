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
    public void Remove(SandboxContainer sandbox, Func<Task>? notBefore = null)
    {
        var removal = RemoveAsync(sandbox, notBefore);
        _pending.TryAdd(removal, 0);
        _ = removal.ContinueWith(done => _pending.TryRemove(done, out _), TaskScheduler.Default);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task RemoveAsync(SandboxContainer sandbox, Func<Task>? notBefore)
    {
        if (notBefore is not null)
        {
            await notBefore().ConfigureAwait(false);
        }

        await sandbox.DisposeAsync().ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(_pending.Keys).WaitAsync(cancellationToken);
}
