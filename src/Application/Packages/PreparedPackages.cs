namespace CodeInterpreter.Application.Packages;

/// <summary>
/// What a run gets of packages: the environment to mount (null = the image has everything), held until
/// disposed, and a one-line note for stderr about detected imports that could not be had.
/// </summary>
internal sealed record PreparedPackages(PackageEnvironmentLease? Lease, string? Note) : IDisposable
{
    /// <summary>No environment, nothing to say.</summary>
    public static readonly PreparedPackages None = new(null, null);

    /// <summary>The result with the note (if any) as the first line of its stderr.</summary>
    public ExecutionResult Annotate(ExecutionResult result) =>
        Note is null ? result : result with { Stderr = Note + "\n" + result.Stderr };

    /// <inheritdoc/>
    public void Dispose() => Lease?.Dispose();
}
