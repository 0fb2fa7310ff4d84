namespace CodeInterpreter.Application.Executions;

/// <summary>
/// A checked request to run code as a sandbox takes it (the timeout as the checked
/// <see cref="TimeSpan"/>): the part a one-off execution and a call into a session share.
/// </summary>
internal sealed record CodeCall(
    string Code,
    string? Stdin,
    bool LastLineInteractive,
    TimeSpan Timeout,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env)
{
    /// <summary>The call of a request that passed <see cref="ExecutionRules.CheckCodeRequest"/>; it cannot fail.</summary>
    public static CodeCall Of(ICodeRequest request) => new(
        request.Code ?? string.Empty,
        request.Stdin,
        request.LastLineInteractive,
        TimeSpan.FromMilliseconds(request.TimeoutMs),
        request.Args,
        request.Env);

    /// <summary>
    /// This call for a sandbox under a new execution id: the server's limits with <paramref name="memoryLimitMb"/>
    /// and <paramref name="cpus"/>, and the files it generates kept in <paramref name="files"/>.
    /// </summary>
    public SandboxRequest ToSandboxRequest(ExecutionOptions limits, int memoryLimitMb, double? cpus, IFileStore files) => new(
        ExecutionId: Guid.NewGuid().ToString("N")[..16],
        Code,
        Stdin,
        LastLineInteractive,
        Timeout,
        new SandboxLimits(memoryLimitMb, limits.CpuTimeLimitSec, limits.MaxOutputBytes)
        {
            MaxGeneratedFiles = limits.MaxFilesPerExecution,
            MaxGeneratedBytes = limits.MaxFilesBytesPerExecution,
            MaxOutputItems = limits.MaxOutputItems,
            Cpus = cpus,
        })
    {
        GeneratedFiles = new GeneratedFileStore(files),
        Argv = Args,
        Env = Env,
    };
}
