namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>What the warm pool holds right now, and the runtime its sandboxes run under (for the probes and operators).</summary>
public interface ISandboxPoolStatus
{
    /// <summary>The container runtime of every sandbox (EXECUTOR_RUNTIME: runc or runsc).</summary>
    string Runtime { get; }

    SandboxPoolSnapshot Snapshot();
}
