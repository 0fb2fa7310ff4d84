using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Common.Validation;
using CodeInterpreter.Application.Executions;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Application.Sessions;

/// <summary>A call into a session carries what a one-off execution's code does, under the same rules.</summary>
internal sealed class ExecuteInSessionValidator(IOptions<ExecutionOptions> options) : IValidator<ExecuteInSessionCommand>
{
    public void Validate(ExecuteInSessionCommand message) => ExecutionRules.CheckCodeRequest(message, options.Value);
}
