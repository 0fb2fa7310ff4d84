using System.Globalization;

namespace CodeInterpreter.Bench;

/// <summary>The command line: a handful of flags, parsed by hand to keep the tool dependency-free.</summary>
internal sealed record BenchOptions(bool Quick, int PoolSize, string? ApiDll, string? BaselineApiDll, string? BaselineImage = null)
{
    public const string Usage = """
        Usage: ./bench/run.sh [--quick] [--pool-size N] [--api-dll PATH] [--baseline-api-dll PATH] [--baseline-image IMAGE]

          --quick                   small request counts: a smoke run of every phase (a few minutes)
          --pool-size N             POOL_SIZE of the "pool on" service (1..64, default 4); "pool off" is always 0
          --api-dll PATH            the published service (default: <repo>/artifacts/api/CodeInterpreter.Api.dll)
          --baseline-api-dll PATH   another published build (e.g. of the previous main) to compare with in the
                                    same run: started after this build's pool-on phases, alone, with the same
                                    POOL_SIZE, for the quiet single calls and the open-loop phases
          --baseline-image IMAGE    the executor image the baseline runs (default: EXECUTOR_IMAGE, as this build);
                                    give the baseline's own image to compare the sandbox side (runner) too

        Needs EXECUTOR_IMAGE (exported by scripts/setup.sh) and a Docker engine (DOCKER_HOST or
        unix:///var/run/docker.sock). Prints markdown tables to stdout, progress to stderr.
        """;

    private const int DefaultPoolSize = 4;
    private const int MaxPoolSize = 64;

    /// <exception cref="ArgumentException">An unknown flag or a bad value.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions(false, DefaultPoolSize, null, null);
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--pool-size" => options with { PoolSize = ParsePoolSize(ValueOf(args, ref i)) },
                "--api-dll" => options with { ApiDll = ValueOf(args, ref i) },
                "--baseline-api-dll" => options with { BaselineApiDll = ValueOf(args, ref i) },
                "--baseline-image" => options with { BaselineImage = ValueOf(args, ref i) },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return options;
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i)
    {
        var flag = args[i];
        i++;
        return i < args.Count ? args[i] : throw new ArgumentException($"{flag} needs a value.");
    }

    private static int ParsePoolSize(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size is >= 1 and <= MaxPoolSize
            ? size
            : throw new ArgumentException($"--pool-size must be an integer from 1 to {MaxPoolSize} (pool off is always measured too).");
}
