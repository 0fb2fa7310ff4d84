namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Runs one request in a fresh, single-use, locked-down sandbox.</summary>
public interface ISandboxProvider
{
    /// <summary>
    /// Runs <paramref name="request"/> and returns its result. The deadline is enforced here (a timed
    /// out run is a result, not an exception); cancelling <paramref name="cancellationToken"/> kills the
    /// sandbox. The sandbox is destroyed before this returns.
    /// </summary>
    Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken);
}
