using System.Diagnostics;

namespace CodeInterpreter.Api.Tests.Hosting;

/// <summary>Invalid configuration stops start-up with a message naming the variable.</summary>
public sealed class ConfigurationValidationTests
{
    [TestCase("MAX_EXEC_TIMEOUT_MS", "0")]
    [TestCase("MAX_EXEC_TIMEOUT_MS", "abc")]
    [TestCase("MEMORY_LIMIT_MB", "1")]
    [TestCase("MAX_OUTPUT_BYTES", "-1")]
    [TestCase("EXECUTOR_RUNTIME", "kata")]
    [TestCase("DOCKER_HOST", "ftp://engine")]
    [TestCase("WORKSPACE_SIZE_MB", "0")]
    public void Start_up_fails_naming_the_invalid_variable(string variable, string value)
    {
        using var factory = new ApiFactory(new Dictionary<string, string?> { [variable] = value });

        var start = () => factory.CreateClient();

        start.Should().Throw<Exception>().Where(e => e.ToString().Contains(variable, StringComparison.Ordinal));
    }

    // Host settings are read before the host is built, so they are checked on the real process.
    [TestCase("LOG_LEVEL", "LOUD")]
    [TestCase("LOG_FORMAT", "xml")]
    [TestCase("PORT", "http")]
    [TestCase("PORT", "70000")]
    public async Task The_service_process_exits_naming_the_invalid_host_variable(string variable, string value)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CodeInterpreter.Api.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment[variable] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        await process.WaitForExitAsync(deadline.Token);

        process.ExitCode.Should().NotBe(0);
        ((await output) + (await error)).Should().Contain(variable);
    }
}
