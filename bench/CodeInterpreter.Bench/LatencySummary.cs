namespace CodeInterpreter.Bench;

/// <summary>Percentiles of a set of latencies, in milliseconds (nearest-rank, so every value was observed).</summary>
internal sealed record LatencySummary(int Count, double P50, double P95, double P99)
{
    public static LatencySummary Empty { get; } = new(0, double.NaN, double.NaN, double.NaN);

    public static LatencySummary From(IEnumerable<TimeSpan> latencies)
    {
        var sorted = latencies.Select(l => l.TotalMilliseconds).Order().ToArray();
        return sorted.Length == 0
            ? Empty
            : new LatencySummary(sorted.Length, Rank(sorted, 50), Rank(sorted, 95), Rank(sorted, 99));
    }

    private static double Rank(double[] sorted, int percentile)
    {
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
