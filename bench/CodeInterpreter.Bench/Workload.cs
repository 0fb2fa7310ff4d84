namespace CodeInterpreter.Bench;

/// <summary>
/// One kind of request the benchmark sends, with the stdout a correct answer must have.
/// <paramref name="ScriptCode"/> is the same work as a script run by <c>python3 file.py</c> (the
/// reference's design), which echoes no last-line value: it prints it instead, for the same stdout.
/// <paramref name="ThroughPyExec"/> sends it to the python-executor facade (<c>POST /api/v1/eval</c>)
/// instead of <c>POST /v1/execute</c>.
/// </summary>
internal sealed record Workload(
    string Name, string Code, Func<string, bool> IsExpectedStdout, string? ScriptCode = null, bool ThroughPyExec = false)
{
    private const int MegabyteOutputLength = 1_000_000;

    public static Workload Hello { get; } = new("print('hi')", "print('hi')", stdout => stdout == "hi\n");

    // The expression is the last line, so the service echoes its value like a REPL would.
    public static Workload Pandas { get; } = new(
        "pandas describe",
        "import pandas as pd; pd.DataFrame({'a': range(1000)}).describe()",
        stdout => stdout.Contains("count  1000.000000", StringComparison.Ordinal)
            && stdout.Contains("mean    499.500000", StringComparison.Ordinal),
        "import pandas as pd; print(pd.DataFrame({'a': range(1000)}).describe())");

    public static Workload MegabyteOutput { get; } = new(
        "1 MB output",
        "print('x' * 1_000_000)",
        stdout => stdout.Length == MegabyteOutputLength + 1
            && stdout.AsSpan(0, MegabyteOutputLength).IndexOfAnyExcept('x') < 0
            && stdout[^1] == '\n');

    /// <summary>python-executor's own measure: <c>print(1)</c> through <c>POST /api/v1/eval</c>, as its clients send it.</summary>
    public static Workload PyExecEval { get; } = new("/api/v1/eval print(1)", "print(1)", stdout => stdout == "1\n", ThroughPyExec: true);

    public static IReadOnlyList<Workload> All { get; } = [Hello, Pandas, MegabyteOutput, PyExecEval];

    /// <summary>The first call of a session, not measured: defines the variable the measured calls update.</summary>
    public static Workload SessionStart { get; } = new("session start", "x = 0", stdout => stdout.Length == 0);

    /// <summary>The measured session call: it only works if the interpreter kept <c>x</c> from the calls before.</summary>
    public static Workload SessionIncrement { get; } = new("x += 1", "x += 1", stdout => stdout.Length == 0);

    /// <summary>The check after <paramref name="calls"/> increments: each one reached the same interpreter.</summary>
    public static Workload SessionTotal(int calls) =>
        new("session total", "x", stdout => stdout == FormattableString.Invariant($"{calls}\n"));

    public string Script => ScriptCode ?? Code;
}
