using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>A request's <c>EvalLastExpression</c> against the real runner: the trailing expression's repr is reported, never printed.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class LastExpressionValueTests : RealSandboxTests
{
    private Task<ExecutionResult> EvaluateAsync(string code, long maxOutputBytes = 1_000_000) =>
        Sandbox.RunAsync(code, maxOutputBytes: maxOutputBytes, configure: r => r with { EvalLastExpression = true });

    [Test]
    public async Task Reports_the_repr_of_a_trailing_expression_without_printing_it()
    {
        var result = await EvaluateAsync("x = 5\nx * 2");

        result.LastExpressionValue.Should().Be("10");
        result.Stdout.Should().BeEmpty("the value is reported, not echoed like a REPL");
        result.ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Reports_a_string_as_its_repr() =>
        (await EvaluateAsync("'a'")).LastExpressionValue.Should().Be("'a'");

    [TestCase("None")]
    [TestCase("x = 1")]
    [TestCase("print('p')\nx = 1")]
    public async Task Reports_no_value_for_none_or_a_trailing_statement(string code) =>
        (await EvaluateAsync(code)).LastExpressionValue.Should().BeNull();

    [Test]
    public async Task Keeps_only_the_programs_prints_in_stdout()
    {
        var result = await EvaluateAsync("print('hello')\n1 + 1");

        result.Stdout.Should().Be("hello\n");
        result.LastExpressionValue.Should().Be("2");
    }

    [Test]
    public async Task An_error_in_the_trailing_expression_points_at_the_users_line()
    {
        var result = await EvaluateAsync("a = 1\nb = 0\na / b");

        result.ExitCode.Should().Be(1);
        result.LastExpressionValue.Should().BeNull();
        result.Error.Should().BeEquivalentTo(new ExecutionError("ZeroDivisionError", "division by zero", 3));
        result.Stderr.Should().Contain("File \"<code>\", line 3").And.Contain("a / b").And.NotContain("/opt/runner/");
    }

    [Test]
    public async Task A_repr_that_raises_is_the_codes_error_and_gives_no_value()
    {
        var result = await EvaluateAsync("class A:\n    def __repr__(self):\n        raise ValueError('no repr')\nA()");

        result.ExitCode.Should().Be(1);
        result.LastExpressionValue.Should().BeNull();
        result.Error.Should().BeEquivalentTo(new ExecutionError("ValueError", "no repr", 3));
    }

    [Test]
    public async Task Applies_to_an_entrypoint_too()
    {
        WorkspacePath.TryParse("main.py", out var path, out _).Should().BeTrue();

        var result = await Sandbox.RunAsync(string.Empty, configure: r => r with
        {
            EvalLastExpression = true,
            Entrypoint = "main.py",
            InputFiles = [new SandboxInputFile(path!, "print('p')\nsum(range(5))\n"u8.ToArray())],
        });

        result.Stdout.Should().Be("p\n");
        result.LastExpressionValue.Should().Be("10");
    }

    [Test]
    public async Task A_large_value_is_cut_to_the_output_limit()
    {
        var result = await EvaluateAsync("'x' * 5000", maxOutputBytes: 100);

        result.LastExpressionValue.Should().Be("'" + new string('x', 99));
    }
}
