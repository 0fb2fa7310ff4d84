namespace CodeInterpreter.Cli;

/// <summary>
/// What the CLI reads and writes besides its arguments: the standard streams, environment variables
/// and how it reaches the service. The process's own in production; in-memory ones in tests.
/// </summary>
internal sealed record CinEnvironment(
    TextReader In,
    bool InputRedirected,
    TextWriter Out,
    Stream OutStream,
    TextWriter Error,
    Func<string, string?> GetVariable)
{
    /// <summary>Sends the HTTP requests; null means a real connection to <c>--server</c>.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public static CinEnvironment FromProcess() => new(
        Console.In,
        Console.IsInputRedirected,
        Console.Out,
        Console.OpenStandardOutput(),
        Console.Error,
        Environment.GetEnvironmentVariable);
}
