using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Executions;

/// <summary>What <see cref="ExecuteCodeCommand"/> must satisfy: refused with the field named (422) or as not allowed (403).</summary>
internal sealed class ExecuteCodeValidator(IOptions<ExecutionOptions> options) : IValidator<ExecuteCodeCommand>
{
    public void Validate(ExecuteCodeCommand message)
    {
        var limits = options.Value;
        ExecutionRules.CheckCodeRequest(message, limits, message.Entrypoint);
        var staged = ExecutionRules.CheckFiles(message.Files, limits, per: "execution");
        ExecutionRules.CheckSources(message.Sources, message.ProjectFiles, message.Entrypoint, limits, staged);
        ExecutionRules.CheckPreCommands(message.PreCommands, limits);
        ExecutionRules.CheckMemory(message.MemoryLimitMb, limits);
        ExecutionRules.CheckCpu(message.CpuLimit, limits);
        ExecutionRules.CheckNetwork(message.Network, limits);
        EgressRules.Check(message.AllowHosts, limits);
        ExecutionRules.CheckImage(message.PythonVersion, message.Image, limits);
        PackageRules.CheckRequirements(message.Requirements);
    }
}
