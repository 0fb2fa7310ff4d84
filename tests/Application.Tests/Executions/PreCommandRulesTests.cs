using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

/// <summary>The rules of <see cref="ExecuteCodeCommand.PreCommands"/> and how a valid request's plan carries them.</summary>
public sealed class PreCommandRulesTests
{
    private static ExecutionPlan Check(ExecuteCodeCommand command, ExecutionOptions? limits = null)
    {
        var options = limits ?? new ExecutionOptions();
        new ExecuteCodeValidator(Microsoft.Extensions.Options.Options.Create(options)).Validate(command);
        return ExecutionPlan.Of(command, options);
    }

    private static ExecuteCodeCommand Command(params string[] preCommands) =>
        new ExecuteCodeCommand("print(1)", Stdin: null, 2000, LastLineInteractive: true, Files: []) { PreCommands = preCommands };

    private static RequestValidationException Refused(ExecuteCodeCommand command, ExecutionOptions? limits = null)
    {
        var check = () => Check(command, limits);
        return check.Should().Throw<RequestValidationException>().Which;
    }

    [Test]
    public void Valid_pre_commands_reach_the_plan_in_order() =>
        Check(Command("pip list", "ls -la")).PreCommands.Should().Equal("pip list", "ls -la");

    [Test]
    public void A_request_without_pre_commands_plans_none() =>
        Check(Command()).PreCommands.Should().BeEmpty();

    [Test]
    public void More_than_64_lines_are_refused()
    {
        Check(Command([.. Enumerable.Repeat("true", 64)]));

        var refused = Refused(Command([.. Enumerable.Repeat("true", 65)]));

        refused.Field.Should().Be("pre_commands");
        refused.Message.Should().Be("pre_commands exceed maximum of 64 lines");
    }

    [Test]
    public void A_line_with_nul_is_refused() =>
        Refused(Command("echo a\0b")).Field.Should().Be("pre_commands");

    [Test]
    public void A_line_with_a_lone_surrogate_is_refused() =>
        Refused(Command("echo \ud800")).Message.Should().Be("pre_commands must be valid Unicode text");

    [Test]
    public void Lines_over_max_code_bytes_in_total_are_refused() =>
        Refused(Command("echo 12", "echo 34"), new ExecutionOptions { MaxCodeBytes = 10 })
            .Message.Should().Be("pre_commands exceed maximum of 10 bytes in total");

    [Test]
    public void Lines_over_64_KiB_in_total_are_refused_whatever_max_code_bytes_allows() =>
        Refused(Command(new string('x', 40_000), new string('y', 40_000)), new ExecutionOptions { MaxCodeBytes = 1_048_576 })
            .Message.Should().Be("pre_commands exceed maximum of 65536 bytes in total");
}
