using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Application.Packages;

/// <summary>
/// Resolves a requirement set the warm pool keeps sandboxes for (POOL_ENVIRONMENTS) exactly as a request's
/// <c>requirements</c> are resolved, so a request for that set meets the very environment the pool mounts:
/// the image's own packages need none, the rest is built once (or found built) through the one build path.
/// </summary>
public sealed class PooledEnvironmentResolver
{
    private readonly PackageResolver _resolver;

    internal PooledEnvironmentResolver(PackageResolver resolver) => _resolver = resolver;

    /// <summary>
    /// The environment of <paramref name="requirements"/> on the default executor image, held (pinned: never
    /// evicted, counted as in use) until the lease is disposed; null when the image satisfies the whole set.
    /// </summary>
    /// <exception cref="RequestValidationException">A requirement cannot be had (no package source), or the build failed (pip's last lines).</exception>
    public async Task<PackageEnvironmentLease?> AcquireAsync(RequirementSet requirements, CancellationToken cancellationToken)
    {
        var prepared = await _resolver.PrepareAsync(
            new PackageNeeds(requirements, [], new HashSet<string>()), image: null, cancellationToken).ConfigureAwait(false);
        return prepared.Lease;
    }
}
