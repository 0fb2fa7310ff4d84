namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Everything a sandbox needs for one execution, already validated.</summary>
public sealed record SandboxRequest(
    string ExecutionId,
    string Code,
    string? Stdin,
    bool LastLineInteractive,
    TimeSpan Timeout,
    SandboxLimits Limits)
{
    /// <summary>Files placed in the workspace before the code runs.</summary>
    public IReadOnlyList<SandboxInputFile> InputFiles { get; init; } = [];

    /// <summary>Where generated files go as they arrive; null = generated files are not collected.</summary>
    public IGeneratedFileSink? GeneratedFiles { get; init; }

    /// <summary><c>sys.argv[1:]</c> of the code.</summary>
    public IReadOnlyList<string> Argv { get; init; } = [];

    /// <summary>Environment variables added for the code (names already checked).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>A workspace path (one of <see cref="InputFiles"/>) to run instead of <see cref="Code"/>.</summary>
    public string? Entrypoint { get; init; }

    /// <summary>Report <c>repr()</c> of the trailing expression of what runs as <c>__main__</c> (never printed).</summary>
    public bool EvalLastExpression { get; init; }

    /// <summary>Shell lines run before the code, joined by <c>&amp;&amp;</c>, under its deadline and limits (already checked).</summary>
    public IReadOnlyList<string> PreCommands { get; init; } = [];

    /// <summary>Give the sandbox network access through the egress proxy, to <see cref="AllowHosts"/> only (only when the server allows it).</summary>
    public bool Network { get; init; }

    /// <summary>
    /// Hosts the sandbox may reach through the egress proxy, and nothing else (restricted egress; already checked
    /// against EGRESS_ALLOW_HOSTS). Empty = no restricted egress.
    /// </summary>
    public IReadOnlyList<Domain.Egress.EgressHost> AllowHosts { get; init; } = [];

    /// <summary>Executor image chosen from the server's allow-list; null = the default image.</summary>
    public string? Image { get; init; }

    /// <summary>A built package environment (Docker volume) mounted read-only after the image's own packages; null = none.</summary>
    public string? PackageEnvironment { get; init; }

    /// <summary>Told when the code starts and of its output as it arrives; null = nobody listens.</summary>
    public IExecutionObserver? Observer { get; init; }
}
