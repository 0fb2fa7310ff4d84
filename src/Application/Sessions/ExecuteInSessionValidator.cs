using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Sessions;

/// <summary>A call into a session carries what a one-off execution's code does, under the same rules.</summary>
internal sealed class ExecuteInSessionValidator(IOptions<ExecutionOptions> options) : IValidator<ExecuteInSessionCommand>
{
    public void Validate(ExecuteInSessionCommand message) => ExecutionRules.CheckCodeRequest(message, options.Value);
}
