using System.Diagnostics;
using System.Text;

namespace CodeInterpreter.EndToEnd.Tests.Hosting;

/// <summary>What a finished command printed and how it ended.</summary>
internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last non-empty line of stdout (the build scripts print their image there).</summary>
    public string LastLine => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

    public override string ToString() => $"exit code {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs a program on this machine (the docker CLI, the repository's build scripts) with a deadline.
/// The test host's MSBuild variables are left out of the child's environment: a `dotnet publish` in a
/// build script must not inherit the SDK paths of the `dotnet test` that started us.
/// </summary>
internal static class HostCommand
{
    public static Task<CommandResult> DockerAsync(TimeSpan timeout, params string[] args) =>
        RunAsync("docker", args, timeout);

    /// <summary>Runs docker and fails the test unless it succeeds; returns its trimmed stdout.</summary>
    public static async Task<string> DockerOkAsync(TimeSpan timeout, params string[] args)
    {
        var result = await DockerAsync(timeout, args);
        if (!result.Succeeded)
        {
            Assert.Fail($"docker {string.Join(' ', args)} failed: {result}");
        }

        return result.Stdout.Trim();
    }

    public static async Task<CommandResult> RunAsync(
        string fileName,
        IEnumerable<string> args,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        TextWriter? echo = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(IsBuildHostVariable).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => Collect(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Collect(stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish within {timeout}; stderr so far:\n{stderr}");
        }

        // WaitForExitAsync returns once both output streams ended.
        lock (gate)
        {
            return new CommandResult(process.ExitCode, stdout.ToString(), stderr.ToString());
        }

        void Collect(StringBuilder into, string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                into.AppendLine(line);
            }

            echo?.WriteLine(line);
        }
    }

    private static bool IsBuildHostVariable(string name) =>
        name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase);
}
