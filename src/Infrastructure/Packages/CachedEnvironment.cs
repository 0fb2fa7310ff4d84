using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>A built environment in <see cref="DockerPackageEnvironments"/>' cache; its mutable fields are guarded by that cache's lock.</summary>
internal sealed class CachedEnvironment(string hash, string volume, RequirementSet requirements, long sizeBytes, DateTimeOffset createdAt)
{
    public string Hash { get; } = hash;

    public string Volume { get; } = volume;

    public RequirementSet Requirements { get; } = requirements;

    public long SizeBytes { get; } = sizeBytes;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public DateTimeOffset LastUsedAt { get; set; }

    public int InUse { get; set; }

    /// <summary>Built by another replica on this engine: used here, removed only by its builder.</summary>
    public bool Borrowed { get; init; }
}
