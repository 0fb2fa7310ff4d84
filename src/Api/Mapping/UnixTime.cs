namespace CodeInterpreter.Api.Mapping;

/// <summary>Times as the reference API writes them: Python's <c>time.time()</c>, seconds since the epoch as a float.</summary>
internal static class UnixTime
{
    public static double ToSeconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;
}
