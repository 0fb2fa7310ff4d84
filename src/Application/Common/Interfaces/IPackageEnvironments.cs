using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Cached, read-only Python environments, each built once per requirement set (and executor image) from the
/// server's package source, for sandboxes to mount; and what an executor image has installed already.
/// </summary>
public interface IPackageEnvironments
{
    /// <summary>
    /// Where packages come from, for messages (<c>wheelhouse /srv/wheels</c>, <c>index http://...</c>); null = no
    /// package source is configured, so nothing can be built.
    /// </summary>
    string? Source { get; }

    /// <summary>
    /// Which distribution of the package source provides each top-level module (from its wheels' <c>top_level.txt</c>
    /// or file lists); null when the source cannot tell (an index), so an import name is taken as the distribution's.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>?> SourceModulesAsync(CancellationToken cancellationToken);

    /// <summary>What <paramref name="image"/> (null = the default) has installed; probed once per image.</summary>
    Task<InstalledPackages> InstalledAsync(string? image, CancellationToken cancellationToken);

    /// <summary>
    /// The environment of <paramref name="requirements"/> for <paramref name="image"/>, built now if it is not
    /// cached (concurrent callers for one set wait for one build), held in use until the lease is disposed.
    /// </summary>
    /// <exception cref="Exceptions.RequestValidationException">The build failed (pip's last lines); nothing is cached.</exception>
    Task<PackageEnvironmentLease> AcquireAsync(RequirementSet requirements, string? image, CancellationToken cancellationToken);

    /// <summary>The cached environments, most recently used first.</summary>
    Task<IReadOnlyList<PackageEnvironmentInfo>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Removes the environment <paramref name="hash"/>; false when there is none.</summary>
    /// <exception cref="Exceptions.ConflictException">It is in use by a sandbox or session.</exception>
    Task<bool> DeleteAsync(string hash, CancellationToken cancellationToken);
}

/// <summary>
/// An executor image's Python: its distributions (canonical name -> version), every top-level module it can
/// import, which of those are the standard library, and its PEP 508 marker variables (<c>python_version</c>,
/// <c>sys_platform</c>, ...) that requirements' environment markers are evaluated against.
/// </summary>
public sealed record InstalledPackages(
    IReadOnlyDictionary<string, PackageVersion> Distributions,
    IReadOnlySet<string> Modules,
    IReadOnlySet<string> StandardLibrary,
    IReadOnlyDictionary<string, string> MarkerEnvironment)
{
    /// <summary>Whether the image satisfies <paramref name="requirement"/> (extras' own dependencies are not checked).</summary>
    public bool Satisfies(Requirement requirement) =>
        Distributions.TryGetValue(requirement.Name, out var version) && requirement.IsSatisfiedBy(version);
}

/// <summary>A built environment held in use (not evicted, not deleted) until disposed.</summary>
public sealed class PackageEnvironmentLease(string hash, string volume, Action release) : IDisposable
{
    private Action? _release = release;

    /// <summary>The environment's identity (of its requirement set and image).</summary>
    public string Hash { get; } = hash;

    /// <summary>The Docker volume that holds it, mounted read-only into sandboxes.</summary>
    public string Volume { get; } = volume;

    /// <inheritdoc/>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

/// <summary>One cached environment as <c>GET /v1/environments</c> lists it.</summary>
public sealed record PackageEnvironmentInfo(
    string Hash, IReadOnlyList<string> Requirements, long SizeBytes, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, bool InUse);
