using System.Diagnostics;
using System.Text;

namespace CodeInterpreter.Client.Tests.TypeScript;

/// <summary>
/// clients/typescript: the committed generated client matches the service's OpenAPI document, and its
/// node tests (tsc, then node --test against a fake server) pass.
/// </summary>
[TestFixture]
public sealed class TypeScriptClientTests
{
    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    [Test]
    public void Committed_client_is_what_the_OpenAPI_document_generates()
    {
        var generated = RepositoryPaths.GeneratedTypeScriptClient;
        File.Exists(generated).Should().BeTrue($"building src/Client generates {generated}");
        var committed = Path.Combine(RepositoryPaths.TypeScriptClientDirectory, "src", "client.ts");

        File.ReadAllText(committed).Should().Be(File.ReadAllText(generated),
            "clients/typescript/src/client.ts must be regenerated after an API change: dotnet build src/Client -t:UpdateTypeScriptClient");
    }

    [Test]
    [CancelAfter(600_000)]
    public async Task Npm_test_passes(CancellationToken cancellationToken)
    {
        RequireNpm();

        var install = await RunNpmAsync("ci --no-audit --no-fund", cancellationToken);
        install.ExitCode.Should().Be(0, $"npm ci failed:\n{install.Output}");
        var test = await RunNpmAsync("test", cancellationToken);

        test.ExitCode.Should().Be(0, $"npm test failed:\n{test.Output}");
        test.Output.Should().Contain("# fail 0");
    }

    private static void RequireNpm()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "npm")));
        if (onPath)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail("CI=true and npm is not installed: the TypeScript client cannot be tested");
        }

        Assert.Ignore("npm is not installed: the TypeScript client's tests are skipped");
    }

    private static async Task<(int ExitCode, string Output)> RunNpmAsync(string arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("npm", arguments)
        {
            WorkingDirectory = RepositoryPaths.TypeScriptClientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
