using System.Text;

namespace CodeInterpreter.Cli.Tests;

/// <summary>What one run of cin printed and returned.</summary>
internal sealed record CinResult(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes);

/// <summary>Runs cin's entry point in-process with in-memory standard streams.</summary>
internal static class CinRunner
{
    /// <param name="handler">Reaches the service (a test server's handler); null for a real connection.</param>
    /// <param name="stdin">Piped standard input, or null for none.</param>
    /// <param name="variables">Environment variables cin sees (none else).</param>
    public static async Task<CinResult> RunAsync(
        string[] args, HttpMessageHandler? handler = null, string? stdin = null, IReadOnlyDictionary<string, string>? variables = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var outputStream = new MemoryStream();
        var environment = new CinEnvironment(
            new StringReader(stdin ?? ""),
            stdin is not null,
            output,
            outputStream,
            error,
            name => variables is not null && variables.TryGetValue(name, out var value) ? value : null)
        {
            Handler = handler,
        };

        var exitCode = await CinApp.RunAsync(args, environment);
        return new CinResult(exitCode, output.ToString(), error.ToString(), outputStream.ToArray());
    }

    /// <summary>Writes <paramref name="content"/> to a new temporary file named <paramref name="name"/>.</summary>
    public static string WriteTempFile(string name, string content)
    {
        var directory = Directory.CreateTempSubdirectory("cin-tests-");
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }
}
