namespace CodeInterpreter.Bench;

/// <summary>One kind of request the benchmark sends, with the stdout a correct answer must have.</summary>
internal sealed record Workload(string Name, string Code, Func<string, bool> IsExpectedStdout)
{
    private const int MegabyteOutputLength = 1_000_000;

    public static Workload Hello { get; } = new("print('hi')", "print('hi')", stdout => stdout == "hi\n");

    // The expression is the last line, so the service echoes its value like a REPL would.
    public static Workload Pandas { get; } = new(
        "pandas describe",
        "import pandas as pd; pd.DataFrame({'a': range(1000)}).describe()",
        stdout => stdout.Contains("count  1000.000000", StringComparison.Ordinal)
            && stdout.Contains("mean    499.500000", StringComparison.Ordinal));

    public static Workload MegabyteOutput { get; } = new(
        "1 MB output",
        "print('x' * 1_000_000)",
        stdout => stdout.Length == MegabyteOutputLength + 1
            && stdout.AsSpan(0, MegabyteOutputLength).IndexOfAnyExcept('x') < 0
            && stdout[^1] == '\n');

    public static IReadOnlyList<Workload> All { get; } = [Hello, Pandas, MegabyteOutput];
}
