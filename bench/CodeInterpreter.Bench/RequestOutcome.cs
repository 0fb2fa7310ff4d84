namespace CodeInterpreter.Bench;

/// <summary>One request as the client saw it: its end-to-end time and why it failed, if it did.</summary>
internal sealed record RequestOutcome(TimeSpan Latency, string? Failure)
{
    public bool Succeeded => Failure is null;
}
