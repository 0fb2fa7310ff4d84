using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Sessions;

/// <summary>What <see cref="CreateSessionCommand"/> must satisfy: its TTL, memory and staged files.</summary>
internal sealed class CreateSessionValidator(IOptions<ExecutionOptions> options) : IValidator<CreateSessionCommand>
{
    public void Validate(CreateSessionCommand message)
    {
        var limits = options.Value;
        SessionRules.CheckTtl(message.TtlSeconds);
        ExecutionRules.CheckMemory(message.MemoryLimitMb, limits);
        ExecutionRules.CheckFiles(message.Files, limits, per: "session");
        PackageRules.CheckRequirements(message.Requirements);
        EgressRules.Check(message.AllowHosts, limits);
    }
}
