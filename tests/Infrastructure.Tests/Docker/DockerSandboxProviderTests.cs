using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DockerSandboxProviderTests : RealSandboxTests
{
    [Test]
    public async Task Runs_hello_world()
    {
        var result = await Sandbox.RunAsync("print('hello world')");

        result.Stdout.Should().Be("hello world\n");
        result.Stderr.Should().BeEmpty();
        result.ExitCode.Should().Be(0);
        result.TimedOut.Should().BeFalse();
    }

    [Test]
    public async Task Echoes_a_trailing_expression_like_a_repl()
    {
        var result = await Sandbox.RunAsync("x = 40\n1 + 1\nx + 2");

        result.Stdout.Should().Be("42\n", "only the last bare expression is echoed");
    }

    [Test]
    public async Task Does_not_echo_when_last_line_interactive_is_off()
    {
        var result = await Sandbox.RunAsync("2 + 2", lastLineInteractive: false);

        result.Stdout.Should().BeEmpty();
    }

    [Test]
    public async Task Feeds_stdin_to_the_code()
    {
        var result = await Sandbox.RunAsync("import sys\nname = input()\nrest = sys.stdin.read()\nprint(f'hi {name} {rest!r}')", stdin: "ada\nmore");

        result.Stdout.Should().Be("hi ada 'more'\n");
    }

    [Test]
    public async Task Runs_the_code_as_main()
    {
        var result = await Sandbox.RunAsync("if __name__ == '__main__':\n    print('main')");

        result.Stdout.Should().Be("main\n");
    }

    [Test]
    public async Task Reports_a_non_zero_exit_code()
    {
        var result = await Sandbox.RunAsync("import sys\nprint('bye')\nsys.exit(3)");

        result.ExitCode.Should().Be(3);
        result.Stdout.Should().Be("bye\n");
    }

    [Test]
    public async Task Reports_an_uncaught_exception_with_a_traceback_of_the_users_code()
    {
        var result = await Sandbox.RunAsync("a = 1\nb = 2\nprint(x)");

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().Contain("Traceback").And.Contain("NameError").And.Contain("print(x)");
        result.Stderr.Should().NotContain("/opt/runner/", "the runner's own frames are hidden");
        result.Error.Should().BeEquivalentTo(new ExecutionError("NameError", "name 'x' is not defined", 3));
    }

    [Test]
    public async Task A_traceback_the_code_prints_itself_shows_the_codes_source_lines()
    {
        // The runner hands the source to linecache only when linecache is first imported (here by
        // the code's own `import traceback`), not at boot.
        var result = await Sandbox.RunAsync("import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc()\nprint('after')");

        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("after\n");
        result.Stderr.Should().Contain("File \"<code>\", line 3").And.Contain("1 / 0").And.Contain("ZeroDivisionError");
    }

    [Test]
    public async Task Kills_code_that_runs_past_the_timeout()
    {
        var result = await Sandbox.RunAsync("print('started', flush=True)\nwhile True:\n    pass", timeoutMs: 1500, cpuTimeLimitSec: 60);

        result.TimedOut.Should().BeTrue();
        result.ExitCode.Should().BeNull();
        result.Stdout.Should().Be("started\n", "output before the kill is kept");
        result.Duration.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1500))
            .And.BeLessThan(TimeSpan.FromMilliseconds(1500 + 3000), "the deadline is enforced close to timeout_ms");
    }

    [Test]
    public async Task Cuts_output_beyond_the_limit_and_flags_it()
    {
        var result = await Sandbox.RunAsync("import sys\nfor _ in range(3000):\n    sys.stdout.write('x' * 1000)\nprint('tail', file=sys.stderr)", maxOutputBytes: 10_000);

        result.StdoutTruncated.Should().BeTrue();
        result.Stdout.Should().Be(new string('x', 10_000) + OutputCapture.TruncationMarker);
        result.StderrTruncated.Should().BeFalse();
        result.Stderr.Should().Be("tail\n");
        result.ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Stops_cpu_bound_code_at_the_cpu_time_limit()
    {
        var result = await Sandbox.RunAsync("while True:\n    pass", timeoutMs: 20_000, cpuTimeLimitSec: 1);

        result.TimedOut.Should().BeFalse("RLIMIT_CPU ends it before the wall-clock deadline");
        result.ExitCode.Should().BeOneOf(128 + 24, 128 + 9);
    }

    [Test]
    public async Task Leaves_no_container_behind()
    {
        await Sandbox.RunAsync("print(1)");
        await Sandbox.RunAsync("while True: pass", timeoutMs: 500);

        (await RealEngine.EventuallyAsync(
                async () => await RealEngine.CountSandboxesAsync(Sandbox.Options.Instance) == 0, TimeSpan.FromSeconds(10)))
            .Should().BeTrue("every sandbox is removed after its execution, whatever the outcome");
    }
}
