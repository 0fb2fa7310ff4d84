namespace CodeInterpreter.Application.Sessions;

/// <summary>A shell command: not empty, within MAX_CODE_BYTES, and a timeout within MAX_EXEC_TIMEOUT_MS.</summary>
internal sealed class RunBashInSessionValidator(IOptions<ExecutionOptions> options) : IValidator<RunBashInSessionCommand>
{
    public void Validate(RunBashInSessionCommand message) => SessionRules.CheckShell(message.Cmd, message.TimeoutMs, options.Value);
}
