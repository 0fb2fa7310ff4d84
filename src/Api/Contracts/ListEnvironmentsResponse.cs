namespace CodeInterpreter.Api.Contracts;

/// <summary>The cached package environments, most recently used first.</summary>
public sealed class ListEnvironmentsResponse
{
    /// <summary>The environments.</summary>
    public required IReadOnlyList<EnvironmentMetadata> Environments { get; init; }
}

/// <summary>A cached, read-only package environment, built once for a requirement set and executor image.</summary>
public sealed class EnvironmentMetadata
{
    /// <summary>Its identity: SHA-256 of the executor image and the normalised requirements.</summary>
    public required string Hash { get; init; }

    /// <summary>The normalised requirements it was built for (those the image lacked).</summary>
    public required IReadOnlyList<string> Requirements { get; init; }

    /// <summary>Size on disk in bytes.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>When it was built: a Unix timestamp in seconds, with fractions.</summary>
    public required double CreatedAt { get; init; }

    /// <summary>When a request last used it: a Unix timestamp in seconds, with fractions.</summary>
    public required double LastUsedAt { get; init; }

    /// <summary>A run holds it now (it is not evicted and cannot be deleted).</summary>
    public required bool InUse { get; init; }
}
