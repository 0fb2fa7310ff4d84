using System.Diagnostics;

namespace CodeInterpreter.Api.Tests;

/// <summary>Runs a program to its end, with a deadline, keeping what it wrote.</summary>
internal static class ChildProcess
{
    /// <summary>Starts <paramref name="start"/> (its output redirected here) and waits for its exit; past <paramref name="deadline"/> it is killed and the test fails.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(ProcessStartInfo start, TimeSpan deadline, string what)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertionException($"{what} did not finish within {deadline.TotalSeconds} s");
        }

        return (process.ExitCode, await output, await error);
    }
}
