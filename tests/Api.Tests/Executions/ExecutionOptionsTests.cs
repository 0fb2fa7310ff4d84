using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>env, args, multi-file projects, per-request limits, network opt-in, image choice, structured errors.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecutionOptionsTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["EXECUTOR_IMAGES"] = $"3.11={RealEngine.ExecutorImage}",
    };

    [Test]
    public async Task Env_and_args_are_visible_to_the_code()
    {
        var (status, body) = await Client.PostExecuteAsync(new
        {
            code = "import os, sys\nprint(os.environ['GREETING'], os.environ['EMPTY'] == '', sys.argv[1:])",
            env = new Dictionary<string, string> { ["GREETING"] = "hello", ["EMPTY"] = "" },
            args = new[] { "--n", "3", "two words" },
        });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("hello True ['--n', '3', 'two words']\n");
    }

    [TestCase("PATH", "reserved")]
    [TestCase("PYTHONPATH", "reserved")]
    [TestCase("LD_PRELOAD", "reserved")]
    [TestCase("1BAD", "not valid")]
    [TestCase("A-B", "not valid")]
    public async Task Reserved_or_malformed_env_names_are_refused(string name, string reason)
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", env = new Dictionary<string, string> { [name] = "x" } });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain(name).And.Contain(reason);
    }

    [Test]
    public async Task A_project_of_two_files_runs_its_entrypoint_as_main()
    {
        var (status, body) = await Client.PostExecuteAsync(new
        {
            sources = new[]
            {
                new { path = "app/main.py", content = "from helper import greet\nimport sys\nif __name__ == '__main__':\n    print(greet(sys.argv[1]))" },
                new { path = "app/helper.py", content = "def greet(name):\n    return f'hello {name}'\n" },
            },
            entrypoint = "app/main.py",
            args = new[] { "ada" },
        });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("hello ada\n", body.GetProperty("stderr").GetString());
        body.GetProperty("files").GetArrayLength().Should().Be(0, "the sources are inputs, not outputs");
    }

    [Test]
    public async Task An_error_in_a_project_file_reports_its_type_and_line()
    {
        var (_, body) = await Client.PostExecuteAsync(new
        {
            sources = new[] { new { path = "main.py", content = "a = 1\nb = 2\nprint(missing)\n" } },
            entrypoint = "main.py",
        });

        body.GetProperty("error").GetProperty("type").GetString().Should().Be("NameError");
        body.GetProperty("error").GetProperty("line").GetInt32().Should().Be(3);
        body.GetProperty("stderr").GetString().Should().Contain("main.py").And.Contain("print(missing)");
    }

    [Test]
    public async Task Code_and_entrypoint_together_are_refused()
    {
        var (status, body) = await Client.PostExecuteAsync(new
        {
            code = "print(1)",
            sources = new[] { new { path = "main.py", content = "print(2)" } },
            entrypoint = "main.py",
        });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("mutually exclusive");
    }

    [Test]
    public async Task An_entrypoint_that_is_not_a_source_is_refused()
    {
        var (status, body) = await Client.PostExecuteAsync(new { sources = new[] { new { path = "a.py", content = "" } }, entrypoint = "b.py" });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("entrypoint 'b.py'");
    }

    [Test]
    public async Task A_larger_memory_limit_lets_an_allocation_succeed_that_the_default_kills()
    {
        const string allocate = "block = b'x' * (600 * 1024 * 1024)\nprint('allocated', len(block) // (1024 * 1024))";

        var (_, small) = await Client.PostExecuteAsync(new { code = allocate, timeout_ms = 30_000 });
        var (_, large) = await Client.PostExecuteAsync(new { code = allocate, memory_limit_mb = 1024, timeout_ms = 30_000 });

        small.GetProperty("oom_killed").GetBoolean().Should().BeTrue();
        large.GetProperty("stdout").GetString().Should().Be("allocated 600\n", large.GetProperty("stderr").GetString());
        large.GetProperty("oom_killed").GetBoolean().Should().BeFalse();
    }

    [Test]
    public async Task A_cpu_limit_is_applied_to_the_sandbox()
    {
        var (_, body) = await Client.PostExecuteAsync(new
        {
            code = "print(open('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').read().strip(), open('/sys/fs/cgroup/cpu/cpu.cfs_period_us').read().strip())",
            cpu_limit = 0.5,
        });

        var parts = body.GetProperty("stdout").GetString()!.Split(' ');
        (double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) / double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture))
            .Should().BeApproximately(0.5, 0.01);
    }

    [TestCase("memory_limit_mb", 4096, "memory_limit_mb exceeds maximum of 2048 MB")]
    [TestCase("memory_limit_mb", 8, "memory_limit_mb must be at least 16 MB")]
    [TestCase("cpu_limit", 3.0, "cpu_limit exceeds maximum of 2 cores")]
    [TestCase("timeout_ms", 60_001, "timeout_ms exceeds maximum of 60000 ms")]
    public async Task Limits_beyond_the_server_maximum_are_refused(string field, double value, string detail)
    {
        var json = System.FormattableString.Invariant($"{{\"code\": \"print(1)\", \"{field}\": {value}}}");

        var (status, body, _) = await Client.PostRawExecuteAsync(json);

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Be(detail);
    }

    [Test]
    public async Task Network_is_refused_with_403_unless_the_server_allows_it()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", network = true });

        status.Should().Be(403);
        body.GetProperty("detail").GetString().Should().Contain("ALLOW_NETWORK");
    }

    [Test]
    public async Task An_uncaught_error_reports_its_type_and_the_line_of_the_users_code()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "a = 1\nb = 2\nprint(x)" });

        body.GetProperty("error").GetProperty("type").GetString().Should().Be("NameError");
        body.GetProperty("error").GetProperty("line").GetInt32().Should().Be(3);
    }

    [Test]
    public async Task A_syntax_error_reports_its_line()
    {
        var (_, body) = await Client.PostExecuteAsync(new { code = "x = 1\ny = (\nprint(x" });

        body.GetProperty("error").GetProperty("type").GetString().Should().Be("SyntaxError");
        body.GetProperty("error").GetProperty("line").GetInt32().Should().BeInRange(2, 3);
    }

    [Test]
    public async Task An_allowed_python_version_selects_its_image()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "import sys\nprint(sys.version_info[:2])", python_version = "3.11" });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("(3, 11)\n");
    }

    [Test]
    public async Task An_unknown_python_version_or_image_is_refused_listing_the_allowed_ones()
    {
        var (versionStatus, version) = await Client.PostExecuteAsync(new { code = "print(1)", python_version = "2.7" });
        var (imageStatus, image) = await Client.PostExecuteAsync(new { code = "print(1)", image = "evil/miner:latest" });

        versionStatus.Should().Be(422);
        version.GetProperty("detail").GetString().Should().Contain("'2.7' is not allowed").And.Contain("3.11");
        imageStatus.Should().Be(422);
        image.GetProperty("detail").GetString().Should().Contain("not allowed").And.Contain(RealEngine.ExecutorImage);
    }
}
