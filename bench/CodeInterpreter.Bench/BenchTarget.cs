namespace CodeInterpreter.Bench;

/// <summary>One target from the issue, with what this run measured against it.</summary>
internal sealed record BenchTarget(string Description, string Measured, bool Pass)
{
    public override string ToString() => $"- **{(Pass ? "PASS" : "FAIL")}** {Description}: {Measured}";
}
