namespace CodeInterpreter.Api.Tests.Files;

/// <summary>Invalid file storage settings stop start-up with a message naming the variable.</summary>
public sealed class FileStorageConfigurationTests
{
    [TestCase("MAX_FILE_SIZE_MB", "0")]
    [TestCase("MAX_FILE_SIZE_MB", "10241")]
    [TestCase("MAX_FILE_SIZE_MB", "lots")]
    [TestCase("FILE_TTL_SEC", "-1")]
    [TestCase("FILE_TTL_SEC", "31536001")]
    [TestCase("FILE_SWEEP_INTERVAL_SEC", "0")]
    [TestCase("FILE_STORAGE_DIR", "")]
    public void Start_up_fails_naming_the_invalid_variable(string variable, string value)
    {
        using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["EXECUTOR_IMAGE"] = "code-interpreter-test-missing:none",
            [variable] = value,
        });

        var start = () => factory.CreateClient();

        start.Should().Throw<Exception>().Where(e => e.ToString().Contains(variable, StringComparison.Ordinal));
    }

    [Test]
    public void Start_up_fails_naming_a_storage_directory_that_cannot_be_created()
    {
        var blocker = Path.GetTempFileName();
        try
        {
            using var factory = new ApiFactory(new Dictionary<string, string?>
            {
                ["EXECUTOR_IMAGE"] = "code-interpreter-test-missing:none",
                ["FILE_STORAGE_DIR"] = Path.Combine(blocker, "files"),
            });

            var start = () => factory.CreateClient();

            start.Should().Throw<Exception>().Where(e => e.ToString().Contains("FILE_STORAGE_DIR", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(blocker);
        }
    }
}
