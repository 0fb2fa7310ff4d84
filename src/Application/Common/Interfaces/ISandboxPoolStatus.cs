namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>What the warm pool holds right now (for the readiness probe and operators).</summary>
public interface ISandboxPoolStatus
{
    SandboxPoolSnapshot Snapshot();
}
