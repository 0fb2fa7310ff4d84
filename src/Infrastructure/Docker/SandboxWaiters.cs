using System.Diagnostics;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The pool's leasing side: requests waiting for a sandbox, longest-waiting first, and when one last
/// waited (the pool imports preloads only once nobody has waited for a while). Not thread-safe: the
/// pool calls it under its gate.
/// </summary>
internal sealed class SandboxWaiters
{
    private readonly LinkedList<TaskCompletionSource<SandboxContainer?>> _waiting = new();
    private long _lastWaitTimestamp;

    /// <summary>Requests waiting now.</summary>
    public int Count => _waiting.Count;

    /// <summary>A new wait, the last in line; it ends with a sandbox, or with null (go cold).</summary>
    public TaskCompletionSource<SandboxContainer?> Add()
    {
        var waiter = new TaskCompletionSource<SandboxContainer?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.AddLast(waiter);
        _lastWaitTimestamp = Stopwatch.GetTimestamp();
        return waiter;
    }

    /// <summary>Takes a wait out of the line (it timed out or was cancelled).</summary>
    public void Remove(TaskCompletionSource<SandboxContainer?> waiter) => _waiting.Remove(waiter);

    /// <summary>
    /// Completes the longest wait still pending with <paramref name="sandbox"/> (null: go cold);
    /// false when nobody waits. Waits that ended meanwhile are skipped.
    /// </summary>
    public bool HandOver(SandboxContainer? sandbox)
    {
        while (_waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            if (first.Value.TrySetResult(sandbox))
            {
                _lastWaitTimestamp = Stopwatch.GetTimestamp();  // the wait lasted until now
                return true;
            }
        }

        return false;
    }

    /// <summary>Ends every wait without a sandbox (the pool drains).</summary>
    public void ReleaseAll()
    {
        foreach (var waiter in _waiting)
        {
            waiter.TrySetResult(null);
        }

        _waiting.Clear();
    }

    /// <summary>Nobody waits and nobody did for <paramref name="quiet"/>.</summary>
    public bool IsCalm(TimeSpan quiet) => _waiting.Count == 0
        && (_lastWaitTimestamp == 0 || Stopwatch.GetElapsedTime(_lastWaitTimestamp) >= quiet);

    /// <summary>How long until <see cref="IsCalm"/> turns true by itself; null when it is not counting down.</summary>
    public TimeSpan? UntilCalm(TimeSpan quiet) => _waiting.Count > 0 || _lastWaitTimestamp == 0
        ? null
        : quiet - Stopwatch.GetElapsedTime(_lastWaitTimestamp);
}
