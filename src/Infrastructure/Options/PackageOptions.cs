using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Infrastructure.Options;

/// <summary>Where package environments come from and how they are built and kept (README, "Packages").</summary>
public sealed class PackageOptions : IValidatableObject
{
    /// <summary>A folder of wheels, bound read-only into the builder (<c>pip --no-index --find-links</c>); no network anywhere.</summary>
    [ConfigurationKeyName("PACKAGE_WHEELHOUSE")]
    public string? Wheelhouse { get; set; }

    /// <summary>A PEP 503 simple index (a PyPI mirror, devpi, Artifactory): only the builder reaches it.</summary>
    [ConfigurationKeyName("PACKAGE_INDEX_URL")]
    public string? IndexUrl { get; set; }

    /// <summary>The index's host, trusted over plain HTTP (<c>pip --trusted-host</c>).</summary>
    [ConfigurationKeyName("PACKAGE_TRUSTED_HOST")]
    public string? TrustedHost { get; set; }

    /// <summary>Allow source distributions (their build code runs in the builder); wheels only by default.</summary>
    [ConfigurationKeyName("PACKAGE_ALLOW_SDIST")]
    public bool AllowSdist { get; set; }

    /// <summary>Longest a build may take before it is killed and answered as failed.</summary>
    [ConfigurationKeyName("ENV_BUILD_TIMEOUT_SEC")]
    [Range(10, 3600, ErrorMessage = "ENV_BUILD_TIMEOUT_SEC must be between {1} and {2}.")]
    public int BuildTimeoutSec { get; set; } = 300;

    /// <summary>Total size of cached environments above which the least recently used ones not in use are removed (0 = keep none but the newest).</summary>
    [ConfigurationKeyName("ENV_CACHE_MB")]
    [Range(0, 1_048_576, ErrorMessage = "ENV_CACHE_MB must be between {1} and {2}.")]
    public int CacheMb { get; set; } = 2048;

    /// <summary>Memory of the builder container.</summary>
    [ConfigurationKeyName("ENV_BUILD_MEMORY_MB")]
    [Range(128, 65_536, ErrorMessage = "ENV_BUILD_MEMORY_MB must be between {1} and {2}.")]
    public int BuildMemoryMb { get; set; } = 1024;

    /// <summary>Whether a package source is configured at all.</summary>
    public bool HasSource => !string.IsNullOrEmpty(Wheelhouse) || !string.IsNullOrEmpty(IndexUrl);

    /// <summary>The source in a few words, for messages; null = none.</summary>
    public string? Describe() =>
        !string.IsNullOrEmpty(Wheelhouse) ? $"the wheelhouse {Wheelhouse}"
        : !string.IsNullOrEmpty(IndexUrl) ? $"the index {IndexUrl}"
        : null;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Wheelhouse) && !string.IsNullOrEmpty(IndexUrl))
        {
            yield return new ValidationResult("PACKAGE_WHEELHOUSE and PACKAGE_INDEX_URL are mutually exclusive: configure one package source.");
        }

        if (!string.IsNullOrEmpty(Wheelhouse) && (!Path.IsPathFullyQualified(Wheelhouse) || !Directory.Exists(Wheelhouse)))
        {
            yield return new ValidationResult($"PACKAGE_WHEELHOUSE must be the absolute path of a folder of wheels: '{Wheelhouse}' is not one.");
        }

        if (!string.IsNullOrEmpty(IndexUrl)
            && (!Uri.TryCreate(IndexUrl, UriKind.Absolute, out var index) || index.Scheme is not ("http" or "https") || IndexUrl.Any(char.IsWhiteSpace)))
        {
            yield return new ValidationResult($"PACKAGE_INDEX_URL must be an http(s) URL of a PEP 503 simple index: '{IndexUrl}' is not one.");
        }

        if (!string.IsNullOrEmpty(TrustedHost) && (TrustedHost.Any(char.IsWhiteSpace) || TrustedHost.StartsWith('-')))
        {
            yield return new ValidationResult($"PACKAGE_TRUSTED_HOST must be a host name (with an optional port): '{TrustedHost}' is not one.");
        }
    }
}
