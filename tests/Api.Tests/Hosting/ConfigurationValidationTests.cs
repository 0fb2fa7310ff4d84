using System.Diagnostics;

namespace CodeInterpreter.Api.Tests.Hosting;

/// <summary>
/// Invalid configuration stops start-up with one line on stderr naming the variable, and exit code 1
/// (no stack trace, no unhandled exception and its SIGABRT). Checked on the real
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
    [TestCase("MAX_OUTPUT_ITEMS", "1001")]
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
    [TestCase("MAX_SESSIONS_PER_KEY", "-1")]
    [TestCase("MAX_CONCURRENT_EXECUTIONS_PER_KEY", "-1")]
    [TestCase("MAX_CONCURRENT_EXECUTIONS_PER_KEY", "many")]
    [TestCase("MAX_RETAINED_EXECUTIONS", "0")]
    [TestCase("FILE_STORE_MAX_MB", "-1")]
    [TestCase("FILE_STORE_MAX_MB", "2TB")]
    [TestCase("FILE_STORE_MAX_MB_PER_KEY", "-5")]
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
    [TestCase("API_KEYS", "short")]
    [TestCase("DATABASE_URL", "mysql://user:pw@127.0.0.1/db")]
    [TestCase("EXECUTION_LEASE_SEC", "1")]
    [TestCase("REPLICA_TIMEOUT_SEC", "1")]
    [TestCase("REPLICA_URL", "ftp://10.0.0.5")]
    [TestCase("REPLICA_ID", "two words")]
    [TestCase("DATABASE_URL", "postgres://user:pw@127.0.0.1:5432/")]
    [TestCase("DATABASE_URL", "Host=127.0.0.1;Nonsense=1")]
    [TestCase("API_KEYS", "key-with space-0123456789")]
    [TestCase("PACKAGE_WHEELHOUSE", "relative/wheels")]
    [TestCase("PACKAGE_WHEELHOUSE", "/no/such/wheelhouse")]
    [TestCase("PACKAGE_INDEX_URL", "ftp://127.0.0.1/simple/")]
    [TestCase("PACKAGE_TRUSTED_HOST", "--index-url")]
    [TestCase("PACKAGE_ALLOW_SDIST", "maybe")]
    [TestCase("ENV_BUILD_TIMEOUT_SEC", "1")]
    [TestCase("ENV_CACHE_MB", "-1")]
    [TestCase("POOL_ENVIRONMENTS", "numpy,pandas")]
    [TestCase("POOL_ENVIRONMENTS", "[[\"numpy\"], [\"-e ./pkg\"]]")]
    [TestCase("POOL_ENVIRONMENT_SIZE", "0")]
    public async Task The_service_exits_with_one_line_naming_the_invalid_variable(string variable, string value)
    {
        var (exitCode, output, error) = await StartServiceAsync(new Dictionary<string, string> { [variable] = value });

        exitCode.Should().Be(1);
        output.Should().BeEmpty();
        error.TrimEnd('\n').Should().NotContain("\n", "the reason is one line").And.StartWith(variable).And.NotContain("Exception");
    }

    [TestCase("MAX_EXEC_TIMEOUT_MS", "abc", "MAX_EXEC_TIMEOUT_MS must be a whole number, not 'abc'.")]
    [TestCase("API_KEYS", "short", "API_KEYS must be comma-separated keys of at least 16 characters each, without spaces.")]
    [TestCase("MEMORY_LIMIT_MB", "1", "MEMORY_LIMIT_MB must be between 16 and 1048576.")]
    [TestCase("LOG_LEVEL", "LOUD", "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'.")]
    [TestCase("FILE_STORE_MAX_MB", "-1", "FILE_STORE_MAX_MB must be between 0 and 1048576 (0 = no limit).")]
    [TestCase("MAX_RETAINED_EXECUTIONS", "0", "MAX_RETAINED_EXECUTIONS must be between 1 and 10000000.")]
    [TestCase(
        "POOL_ENVIRONMENTS",
        "[[\"numpy\"], [\"-e ./pkg\"]]",
        "POOL_ENVIRONMENTS set 2 [\"-e ./pkg\"]: '-e ./pkg': pip options (-e, -r, -c, --index-url, --find-links, ...) are not allowed; the server chooses the package source.")]
    public async Task The_line_states_the_rule(string variable, string value, string expected)
    {
        var (_, _, error) = await StartServiceAsync(new Dictionary<string, string> { [variable] = value });

        error.Should().Be(expected + "\n");
    }

    [TestCase("postgres://user:hunter2-secret@127.0.0.1:5432/db?nonsense=1")]
    [TestCase("Host=127.0.0.1;Password=hunter2-secret;Nonsense=1")]
    public async Task A_bad_DATABASE_URL_is_named_without_repeating_its_password(string value)
    {
        var (exitCode, output, error) = await StartServiceAsync(new Dictionary<string, string> { ["DATABASE_URL"] = value });

        exitCode.Should().Be(1);
        error.Should().StartWith("DATABASE_URL must be a postgres://user:password@host:port/database URL or an Npgsql connection string");
        (output + error).Should().NotContain("hunter2");
    }

    [Test]
    public async Task Several_invalid_variables_are_named_on_the_one_line()
    {
        var (exitCode, _, error) = await StartServiceAsync(new Dictionary<string, string> { ["MEMORY_LIMIT_MB"] = "1", ["POOL_SIZE"] = "-1" });

        exitCode.Should().Be(1);
        error.TrimEnd('\n').Should().NotContain("\n").And.Contain("MEMORY_LIMIT_MB").And.Contain("POOL_SIZE");
    }

    [Test]
    public async Task The_service_exits_naming_a_storage_directory_that_cannot_be_created()
    {
        var blocker = Path.GetTempFileName();
        try
        {
            var (exitCode, _, error) = await StartServiceAsync(new Dictionary<string, string> { ["FILE_STORAGE_DIR"] = Path.Combine(blocker, "files") });

            exitCode.Should().Be(1);
            error.Should().StartWith("FILE_STORAGE_DIR").And.EndWith("\n").And.NotContain("Exception");
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    private static Task<(int ExitCode, string Output, string Error)> StartServiceAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CodeInterpreter.Api.dll")]);
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["PORT"] = "1";
        start.Environment["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return ChildProcess.RunAsync(start, TimeSpan.FromSeconds(60), "the service, although its configuration is invalid,");
    }
}
