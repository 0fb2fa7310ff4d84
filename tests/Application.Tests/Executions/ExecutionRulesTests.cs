using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary>The rules of a request to execute (<see cref="ExecuteCodeValidator"/>) and the plan a valid one becomes.</summary>
public sealed class ExecutionRulesTests
{
    private static readonly ExecutionOptions Defaults = new();

    private static ExecutionPlan Check(ExecuteCodeCommand command, ExecutionOptions limits)
    {
        new ExecuteCodeValidator(Microsoft.Extensions.Options.Options.Create(limits)).Validate(command);
        return ExecutionPlan.Of(command, limits);
    }

    private static ExecuteCodeCommand Command(string? code = "print(1)", int timeoutMs = 2000, params WorkspaceFileReference[] files) =>
        new(code, Stdin: null, timeoutMs, LastLineInteractive: true, files);

    private static RequestValidationException Refused(ExecuteCodeCommand command, ExecutionOptions? limits = null)
    {
        var check = () => Check(command, limits ?? Defaults);
        return check.Should().Throw<RequestValidationException>().Which;
    }

    [Test]
    public void A_valid_request_becomes_a_plan_with_the_servers_defaults()
    {
        var plan = Check(Command(files: new WorkspaceFileReference("in/a.csv", "id")), new ExecutionOptions { MemoryLimitMb = 300 });

        plan.Files.Select(f => f.Path.Value).Should().Equal("in/a.csv");
        plan.MemoryLimitMb.Should().Be(300);
        plan.CpuLimit.Should().BeNull();
        plan.Network.Should().BeFalse();
        plan.Image.Should().BeNull();
    }

    [TestCase(null)]
    [TestCase("  ")]
    public void Empty_code_is_refused(string? code) =>
        Refused(Command(code)).Field.Should().Be("code");

    [Test]
    public void Code_over_the_maximum_is_refused_naming_it() =>
        Refused(Command(new string('x', 11)), new ExecutionOptions { MaxCodeBytes = 10 }).Message.Should().Be("code exceeds maximum of 10 bytes");

    [Test]
    public void Code_and_an_entrypoint_together_are_refused() =>
        Refused(Command() with { Entrypoint = "main.py", Sources = [new SourceFile("main.py", "print(1)")] }).Field.Should().Be("entrypoint");

    [Test]
    public void An_entrypoint_that_is_not_a_source_is_refused() =>
        Refused(Command(code: null) with { Entrypoint = "other.py", Sources = [new SourceFile("main.py", "print(1)")] })
            .Message.Should().Be("entrypoint 'other.py' must be the path of one of the sources");

    [TestCase(0, "timeout_ms must be at least 1 ms")]
    [TestCase(10_001, "timeout_ms exceeds maximum of 10000 ms")]
    public void A_timeout_outside_1_ms_and_the_maximum_is_refused(int timeoutMs, string message) =>
        Refused(Command(timeoutMs: timeoutMs), new ExecutionOptions { MaxExecTimeoutMs = 10_000 }).Message.Should().Be(message);

    [TestCase("PATH")]
    [TestCase("LD_PRELOAD")]
    [TestCase("pythonpath")]
    [TestCase("RUNNER_MODE")]
    public void Env_names_the_sandbox_depends_on_are_reserved(string name) =>
        Refused(Command() with { Env = new Dictionary<string, string> { [name] = "x" } }).Message.Should().Be($"env name '{name}' is reserved by the sandbox");

    [TestCase("1ABC")]
    [TestCase("A-B")]
    public void Env_names_must_be_identifiers(string name) =>
        Refused(Command() with { Env = new Dictionary<string, string> { [name] = "x" } }).Field.Should().Be("env");

    [Test]
    public void Args_with_NUL_are_refused() =>
        Refused(Command() with { Args = ["a\0b"] }).Message.Should().Be("args must not contain NUL");

    [Test]
    public void More_args_than_the_maximum_are_refused() =>
        Refused(Command() with { Args = [.. Enumerable.Repeat("a", ExecutionRules.MaxArgs + 1)] }).Field.Should().Be("args");

    [Test]
    public void A_file_and_a_source_at_the_same_path_are_refused() =>
        Refused(Command(code: null, files: new WorkspaceFileReference("main.py", "id")) with
        {
            Entrypoint = "main.py",
            Sources = [new SourceFile("main.py", "print(1)")],
        }).Message.Should().Be("File paths must be unique: 'main.py' is given twice");

    [TestCase("../x")]
    [TestCase("/abs")]
    [TestCase("")]
    public void An_illegal_file_path_is_refused(string path) =>
        Refused(Command(files: new WorkspaceFileReference(path, "id"))).Message.Should().StartWith("File paths must");

    [TestCase(15, "memory_limit_mb must be at least 16 MB")]
    [TestCase(2049, "memory_limit_mb exceeds maximum of 2048 MB")]
    public void A_memory_limit_outside_16_MB_and_the_maximum_is_refused(int memoryLimitMb, string message) =>
        Refused(Command() with { MemoryLimitMb = memoryLimitMb }).Message.Should().Be(message);

    [Test]
    public void A_memory_limit_within_bounds_is_kept() =>
        Check(Command() with { MemoryLimitMb = 512 }, Defaults).MemoryLimitMb.Should().Be(512);

    [TestCase(0.001, "cpu_limit must be at least 0.01 cores")]
    [TestCase(2.5, "cpu_limit exceeds maximum of 2 cores")]
    public void A_cpu_limit_outside_its_bounds_is_refused(double cpuLimit, string message) =>
        Refused(Command() with { CpuLimit = cpuLimit }).Message.Should().Be(message);

    [Test]
    public void Network_is_forbidden_unless_the_server_allows_it()
    {
        var check = () => Check(Command() with { Network = true }, Defaults);

        check.Should().Throw<ForbiddenException>();
        Check(Command() with { Network = true }, new ExecutionOptions { AllowNetwork = true }).Network.Should().BeTrue();
    }

    [Test]
    public void A_python_version_resolves_to_its_allowed_image()
    {
        var limits = new ExecutionOptions { ExecutorImages = "3.12=registry.local/py:3.12" };

        Check(Command() with { PythonVersion = "3.12" }, limits).Image.Should().Be("registry.local/py:3.12");
    }

    [Test]
    public void An_image_not_on_the_allow_list_is_refused_listing_the_allowed_ones() =>
        Refused(Command() with { Image = "evil:latest" }, new ExecutionOptions { ExecutorImages = "3.12=registry.local/py:3.12" })
            .Message.Should().Be("image 'evil:latest' is not allowed; allowed: registry.local/py:3.12");

    [Test]
    public void The_plan_carries_the_checked_timeout() =>
        Check(Command(timeoutMs: 1500), Defaults).Timeout.Should().Be(TimeSpan.FromMilliseconds(1500));

    [Test]
    public void Sources_become_workspace_files_with_their_utf8_bytes()
    {
        var plan = Check(Command(code: null) with { Entrypoint = "app/main.py", Sources = [new SourceFile("app/main.py", "print('é')")] }, Defaults);

        var source = plan.Sources.Should().ContainSingle().Subject;
        source.Path.Value.Should().Be("app/main.py");
        source.Content.ToArray().Should().Equal(System.Text.Encoding.UTF8.GetBytes("print('é')"));
    }

    [Test]
    public void More_staged_files_than_the_maximum_are_refused_per_execution() =>
        Refused(Command(files: [new WorkspaceFileReference("a", "1"), new WorkspaceFileReference("b", "2")]), new ExecutionOptions { MaxFilesPerExecution = 1 })
            .Message.Should().Be("files exceed maximum of 1 per execution");

    [Test]
    public void The_plan_carries_eval_last_expression() =>
        Check(Command() with { EvalLastExpression = true }, Defaults).EvalLastExpression.Should().BeTrue();

    [Test]
    public void Eval_last_expression_is_off_by_default() =>
        Check(Command(), Defaults).EvalLastExpression.Should().BeFalse();
}
