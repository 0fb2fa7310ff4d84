using System.Diagnostics;

namespace CodeInterpreter.Api.Tests.Hosting;

/// <summary>
/// Invalid configuration stops start-up with a message naming the variable. Checked on the real
/// service process: that is what an operator sees, and an in-process host that fails to start races
/// its own disposal.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ConfigurationValidationTests
{
    [TestCase("MAX_EXEC_TIMEOUT_MS", "0")]
    [TestCase("MAX_EXEC_TIMEOUT_MS", "abc")]
    [TestCase("MEMORY_LIMIT_MB", "1")]
    [TestCase("MAX_OUTPUT_BYTES", "-1")]
    [TestCase("MAX_MEMORY_LIMIT_MB", "8")]
    [TestCase("MAX_CPU_LIMIT", "0")]
    [TestCase("EXECUTOR_IMAGES", "no-equals-sign")]
    [TestCase("EXECUTOR_RUNTIME", "kata")]
    [TestCase("DOCKER_HOST", "ftp://engine")]
    [TestCase("WORKSPACE_SIZE_MB", "0")]
    [TestCase("POOL_SIZE", "-1")]
    [TestCase("SANDBOX_PRELOAD", "os; rm -rf /")]
    [TestCase("MAX_CONCURRENT_EXECUTIONS", "0")]
    [TestCase("MAX_SESSIONS", "0")]
    [TestCase("SESSION_SWEEP_INTERVAL_SEC", "0")]
    [TestCase("MAX_FILE_SIZE_MB", "0")]
    [TestCase("MAX_FILE_SIZE_MB", "10241")]
    [TestCase("MAX_FILE_SIZE_MB", "lots")]
    [TestCase("FILE_TTL_SEC", "-1")]
    [TestCase("FILE_TTL_SEC", "31536001")]
    [TestCase("FILE_SWEEP_INTERVAL_SEC", "0")]
    [TestCase("FILE_STORAGE_DIR", "")]
    [TestCase("LOG_LEVEL", "LOUD")]
    [TestCase("LOG_FORMAT", "xml")]
    [TestCase("PORT", "http")]
    [TestCase("PORT", "70000")]
    public async Task The_service_exits_naming_the_invalid_variable(string variable, string value)
    {
        var (exitCode, output) = await StartServiceAsync(new Dictionary<string, string> { [variable] = value });

        exitCode.Should().NotBe(0);
        output.Should().Contain(variable);
    }

    [Test]
    public async Task The_service_exits_naming_a_storage_directory_that_cannot_be_created()
    {
        var blocker = Path.GetTempFileName();
        try
        {
            var (exitCode, output) = await StartServiceAsync(new Dictionary<string, string> { ["FILE_STORAGE_DIR"] = Path.Combine(blocker, "files") });

            exitCode.Should().NotBe(0);
            output.Should().Contain("FILE_STORAGE_DIR");
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    private static async Task<(int ExitCode, string Output)> StartServiceAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CodeInterpreter.Api.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["PORT"] = "1";
        start.Environment["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertionException("the service did not exit within 60 s although its configuration is invalid");
        }

        return (process.ExitCode, (await output) + (await error));
    }
}
