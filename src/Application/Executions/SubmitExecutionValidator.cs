namespace CodeInterpreter.Application.Executions;

/// <summary>A submission is refused up front for whatever its execution would be refused for.</summary>
internal sealed class SubmitExecutionValidator(IValidator<ExecuteCodeCommand> execution) : IValidator<SubmitExecutionCommand>
{
    public void Validate(SubmitExecutionCommand message) => execution.Validate(message.Execution);
}
