namespace CodeInterpreter.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args) => CinApp.RunAsync(args, CinEnvironment.FromProcess());
}
