using System.Diagnostics;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Tells whether calls come back to back (one client sending in a burst). Work that costs the engine
/// CPU and can wait a moment (making a pooled sandbox's replacement, removing a used one) waits for
/// the burst's pause, so the next call of the burst does not share the cores with it.
/// </summary>
internal sealed class CallBursts
{
    /// <summary>Calls that end closer together than this are a burst.</summary>
    internal static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest a used warm sandbox's removal waits for a burst of calls to pause.</summary>
    internal static readonly TimeSpan MaxRemovalDelay = TimeSpan.FromSeconds(1);

    private long _lastCallEnded;

    /// <summary>A call is over now.</summary>
    public void CallEnded() => Volatile.Write(ref _lastCallEnded, Stopwatch.GetTimestamp());

    /// <summary>How long until the calls count as paused (zero or less: they have, or none has ended yet).</summary>
    public TimeSpan Left() =>
        Volatile.Read(ref _lastCallEnded) is var last and not 0 ? Gap - Stopwatch.GetElapsedTime(last) : TimeSpan.Zero;

    /// <summary>
    /// Completes when calls pause (<see cref="Gap"/> after the latest one ended), or after
    /// <see cref="MaxRemovalDelay"/> at most.
    /// </summary>
    public async Task PausedAsync()
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var left = Left();
            var allowed = MaxRemovalDelay - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || allowed <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(left < allowed ? left : allowed).ConfigureAwait(false);
        }
    }
}
