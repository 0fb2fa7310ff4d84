using CodeInterpreter.Api.Tests;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Cli.Tests.Commands;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class RunCommandTests
{
    private const string Server = "http://localhost/";
    private ApiFactory _factory = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _factory = new ApiFactory();
        _http = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private Task<CinResult> CinAsync(string[] args, string? stdin = null) =>
        CinRunner.RunAsync(["--server", Server, .. args], _factory.Server.CreateHandler(), stdin);

    [Test]
    public async Task Run_prints_the_output_of_a_script_file_and_exits_0()
    {
        var script = CinRunner.WriteTempFile("hello.py", "print('hi')\n");

        var result = await CinAsync(["run", script]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Be("hi\n");
        result.Stderr.Should().MatchRegex(@"^cin: usage: cpu \d+ ms, peak memory \d+\.\d MiB, wall \d+ ms\r?\n$", "the only note is what the run cost");
    }

    [Test]
    public async Task Run_reads_the_code_from_stdin_when_the_script_is_a_dash()
    {
        var result = await CinAsync(["run", "-"], stdin: "print(1)\n");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Be("1\n");
    }

    [Test]
    public async Task Run_gives_piped_input_to_a_script_file()
    {
        var script = CinRunner.WriteTempFile("reverse.py", "print(input()[::-1])\n");

        var result = await CinAsync(["run", script], stdin: "abc\n");

        result.Stdout.Should().Be("cba\n");
    }

    [Test]
    public async Task Run_passes_the_arguments_after_the_script_as_sys_argv()
    {
        var script = CinRunner.WriteTempFile("argv.py", "import sys\nprint(sys.argv[1:])\n");

        var result = await CinAsync(["run", script, "--", "a", "-b"]);

        result.Stdout.Should().Be("['a', '-b']\n");
    }

    [Test]
    public async Task Run_exits_with_the_exit_code_of_the_code()
    {
        var result = await CinAsync(["run", "-"], stdin: "import sys\nsys.exit(3)\n");

        result.ExitCode.Should().Be(3);
    }

    [Test]
    public async Task Run_prints_the_code_s_stderr_to_stderr()
    {
        var result = await CinAsync(["run", "-"], stdin: "print('out')\nraise ValueError('boom')\n");

        result.ExitCode.Should().Be(1);
        result.Stdout.Should().Be("out\n");
        result.Stderr.Should().Contain("ValueError: boom");
    }

    [Test]
    public async Task Quiet_run_prints_only_the_code_s_stdout()
    {
        var result = await CinAsync(["run", "-q", "-"],
            stdin: "import sys\nprint('out')\nprint('err', file=sys.stderr)\nopen('x.txt', 'w').write('x')\n");

        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("out\n");
        result.Stderr.Should().BeEmpty();
    }

    [Test]
    public async Task Run_does_not_echo_the_last_expression_unless_asked()
    {
        var plain = await CinAsync(["run", "-"], stdin: "x = 2\nx * 21\n");
        var echoed = await CinAsync(["run", "--echo", "-"], stdin: "x = 2\nx * 21\n");

        plain.Stdout.Should().BeEmpty("cin run behaves like python script.py");
        echoed.Stdout.Should().Be("42\n");
    }

    [Test]
    public async Task Run_exits_124_when_the_code_times_out()
    {
        var result = await CinAsync(["run", "--timeout", "500", "-"], stdin: "while True: pass\n");

        result.ExitCode.Should().Be(124);
        result.Stderr.Should().Contain("timed out");
    }

    [Test]
    public async Task Run_uploads_files_stages_them_by_name_and_removes_them_afterwards()
    {
        var data = CinRunner.WriteTempFile("data.csv", "a,b\n1,2\n3,4\n");
        var script = CinRunner.WriteTempFile("sum.py", "import csv\nprint(sum(int(r['b']) for r in csv.DictReader(open('data.csv'))))\n");
        var before = await StoredFilesAsync();

        var result = await CinAsync(["run", script, "--file", data]);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Be("6\n");
        // Other tests of this class share the service and store files meanwhile: only this run's input may not stay.
        (await StoredFilesAsync()).Except(before).Should().NotContain(file => file.Name == "data.csv", "the inputs were uploaded for this run only");
    }

    private async Task<List<(string Id, string Name)>> StoredFilesAsync()
    {
        using var listing = System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync(new Uri("/v1/files", UriKind.Relative)));
        return [.. listing.RootElement.GetProperty("files").EnumerateArray()
            .Select(file => (file.GetProperty("file_id").GetString()!, file.GetProperty("filename").GetString()!))];
    }

    [Test]
    public async Task Run_saves_displayed_images_into_the_save_outputs_folder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cin-outputs-{Guid.NewGuid():N}");

        var result = await CinAsync(
            ["run", "--timeout", "30000", "--save-outputs", folder, "-"],
            stdin: "import matplotlib.pyplot as plt\ndisplay('text only')\nplt.plot([1, 2])\nplt.show()\n");

        result.ExitCode.Should().Be(0, result.Stderr);
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().Equal("output-2.png");
        File.ReadAllBytes(Path.Combine(folder, "output-2.png")).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
        result.Stderr.Should().Contain($"cin: saved displayed image {Path.Combine(folder, "output-2.png")}");
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task Run_lists_generated_files_with_the_command_that_downloads_them()
    {
        var result = await CinAsync(["run", "-"], stdin: "open('out.txt', 'w').write('hello')\n");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().MatchRegex(@"cin: generated out\.txt \(5 bytes\): cin files get [0-9a-f]{32} -o out\.txt");
    }

    [Test]
    public async Task Refused_request_is_printed_with_the_problem_s_detail_and_exits_1()
    {
        var result = await CinAsync(["run", "--timeout", "0", "-"], stdin: "print(1)\n");

        result.ExitCode.Should().Be(1);
        result.Stdout.Should().BeEmpty();
        result.Stderr.Should().StartWith("cin: the service refused the request (422): ").And.Contain("timeout_ms");
        result.Stderr.Should().NotContain("   at ", "a person reads it, not a stack trace");
    }

    [Test]
    public async Task Missing_script_is_reported_without_calling_the_service()
    {
        var result = await CinAsync(["run", "/nonexistent/script.py"]);

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().StartWith("cin: cannot read /nonexistent/script.py");
    }
}
