using System.Globalization;

namespace CodeInterpreter.Bench;

/// <summary>
/// CPU time the whole machine spent busy (every process: engine, shims, sandboxes, service, this
/// client), and in all, read from /proc/stat. A phase's share of it per request shows what bounds
/// throughput: on N cores, at most N × 1000 / (CPU ms per request) requests per second.
/// </summary>
internal readonly record struct MachineCpu(TimeSpan Busy, TimeSpan All)
{
    private const double TicksPerSecond = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux

    public static MachineCpu Now()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
            var busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields.Length > 7 ? fields[7] : 0);
            var all = busy + fields[3] + fields[4];
            return new MachineCpu(TimeSpan.FromSeconds(busy / TicksPerSecond), TimeSpan.FromSeconds(all / TicksPerSecond));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            return new MachineCpu(TimeSpan.Zero, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// The share of all cores' time the machine was busy during <paramref name="window"/> (0..1);
    /// 0 when /proc/stat cannot be read, so a machine that cannot be measured does not block the run.
    /// </summary>
    public static async Task<double> BusyShareAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        var before = Now();
        // A measuring window, not a wait for a condition: the callers poll this with a deadline.
        await Task.Delay(window, cancellationToken).ConfigureAwait(false);
        var after = Now();
        var all = after.All - before.All;
        return all > TimeSpan.Zero ? (after.Busy - before.Busy) / all : 0;
    }

    public static TimeSpan operator -(MachineCpu after, MachineCpu before) => after.Busy - before.Busy;

    /// <summary>Busy CPU milliseconds per completed item, NaN when nothing completed or nothing was measured.</summary>
    public static double MsPer(TimeSpan busy, int items) => items > 0 && busy > TimeSpan.Zero ? busy.TotalMilliseconds / items : double.NaN;
}
