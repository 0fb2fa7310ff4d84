using System.ComponentModel.DataAnnotations;
using CodeInterpreter.Domain.Packages;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Infrastructure.Options;

/// <summary>The warm pool of pre-started sandboxes.</summary>
public sealed class PoolOptions : IValidatableObject
{
    /// <summary>Sandboxes kept started and booted ahead of need; 0 = every execution starts its own.</summary>
    [ConfigurationKeyName("POOL_SIZE")]
    [Range(0, 64, ErrorMessage = "POOL_SIZE must be between {1} and {2}.")]
    public int Size { get; set; } = 4;

    /// <summary>Modules a warm sandbox's runner imports before it waits (comma separated; empty = none).</summary>
    [ConfigurationKeyName("SANDBOX_PRELOAD")]
    [RegularExpression(@"^\s*([A-Za-z_][A-Za-z0-9_.]*\s*(,\s*[A-Za-z_][A-Za-z0-9_.]*\s*)*)?$",
        ErrorMessage = "SANDBOX_PRELOAD must be a comma-separated list of Python module names.")]
    public string Preload { get; set; } = "numpy,pandas";

    /// <summary>Sandboxes booted at the same time while refilling (bounds the load on the engine).</summary>
    [ConfigurationKeyName("POOL_WARMUP_CONCURRENCY")]
    [Range(1, 16, ErrorMessage = "POOL_WARMUP_CONCURRENCY must be between {1} and {2}.")]
    public int WarmupConcurrency { get; set; } = 2;

    /// <summary>
    /// Preloads are imported only after no request has waited for a sandbox for this long; until then
    /// sandboxes are parked booted, without them (0 = import whenever nobody is waiting).
    /// </summary>
    [ConfigurationKeyName("POOL_PRELOAD_AFTER_IDLE_MS")]
    [Range(0, 600_000, ErrorMessage = "POOL_PRELOAD_AFTER_IDLE_MS must be between {1} and {2}.")]
    public int PreloadAfterIdleMs { get; set; } = 1000;

    /// <summary>
    /// Hot requirement sets to keep warm sandboxes for, each with its package environment mounted (a JSON array of
    /// arrays of PEP 508 strings; empty = none). See <see cref="PooledRequirementSets"/>.
    /// </summary>
    [ConfigurationKeyName("POOL_ENVIRONMENTS")]
    public string? Environments { get; set; }

    /// <summary>Warm sandboxes kept for each set of POOL_ENVIRONMENTS.</summary>
    [ConfigurationKeyName("POOL_ENVIRONMENT_SIZE")]
    [Range(1, 16, ErrorMessage = "POOL_ENVIRONMENT_SIZE must be between {1} and {2}.")]
    public int EnvironmentSize { get; set; } = 1;

    /// <summary>The sets of POOL_ENVIRONMENTS, normalised (validated at start-up, so valid here).</summary>
    public IReadOnlyList<RequirementSet> EnvironmentSets =>
        PooledRequirementSets.TryParse(Environments, out var sets, out _) ? sets : [];

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!PooledRequirementSets.TryParse(Environments, out _, out var error))
        {
            yield return new ValidationResult($"POOL_ENVIRONMENTS {error}.");
        }
    }
}
