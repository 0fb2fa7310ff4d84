namespace CodeInterpreter.Bench;

/// <summary>How a wait for a quiet pool ended.</summary>
internal enum QuietWait
{
    /// <summary>The pool was full and idle and the machine quiet.</summary>
    Quiet,

    /// <summary>The pool was full and idle, but the machine stayed busy (other work on it) until the wait gave up.</summary>
    MachineBusy,

    /// <summary>The pool did not become full and idle in time.</summary>
    PoolNotIdle,
}

/// <summary>
/// Holds a measurement back until the service's pool is full and idle and the machine is quiet:
/// the moment an agent's next call arrives after it thought for a while. A refill or any other work
/// still running would compete for the cores with the measured request, so its latency would say
/// more about the previous request than about this one.
/// </summary>
internal sealed class QuietGate(PoolObserver pool)
{
    /// <summary>Busy share of all cores below which the machine counts as quiet (idle here reads 0-4%).</summary>
    public const double QuietBusyShare = 0.10;

    /// <summary>300 ms is 60 ticks of /proc/stat on 2 cores: fine enough for a 10% threshold, short enough to poll.</summary>
    public static readonly TimeSpan CpuWindow = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan PoolPoll = TimeSpan.FromMilliseconds(50);

    // Once the pool is idle, a machine that stays busy this long is busy with something else: go ahead.
    private static readonly TimeSpan MachineQuietTimeout = TimeSpan.FromSeconds(5);

    public async Task<QuietWait> WaitAsync(TimeSpan poolTimeout, CancellationToken cancellationToken)
    {
        var poolDeadline = DateTime.UtcNow + poolTimeout;
        DateTime? machineDeadline = null;
        while (true)
        {
            if (!await pool.IsFullAndIdleAsync(cancellationToken).ConfigureAwait(false))
            {
                if (DateTime.UtcNow >= poolDeadline)
                {
                    return QuietWait.PoolNotIdle;
                }

                await Task.Delay(PoolPoll, cancellationToken).ConfigureAwait(false);
                continue;
            }

            machineDeadline ??= DateTime.UtcNow + MachineQuietTimeout;
            if (await MachineCpu.BusyShareAsync(CpuWindow, cancellationToken).ConfigureAwait(false) < QuietBusyShare)
            {
                // The pool may have changed during the window only if something else sent requests; check once more.
                if (await pool.IsFullAndIdleAsync(cancellationToken).ConfigureAwait(false))
                {
                    return QuietWait.Quiet;
                }
            }
            else if (DateTime.UtcNow >= machineDeadline)
            {
                return QuietWait.MachineBusy;
            }
        }
    }
}
