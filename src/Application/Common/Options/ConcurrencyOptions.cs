using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>Back-pressure: how much work the service takes on at once.</summary>
public sealed class ConcurrencyOptions
{
    /// <summary>Executions running at the same time.</summary>
    [ConfigurationKeyName("MAX_CONCURRENT_EXECUTIONS")]
    [Range(1, 1024, ErrorMessage = "MAX_CONCURRENT_EXECUTIONS must be between {1} and {2}.")]
    public int MaxConcurrentExecutions { get; set; } = 8;

    /// <summary>Executions waiting for a slot; beyond this the service answers 429.</summary>
    [ConfigurationKeyName("MAX_QUEUED_EXECUTIONS")]
    [Range(0, 100_000, ErrorMessage = "MAX_QUEUED_EXECUTIONS must be between {1} and {2}.")]
    public int MaxQueuedExecutions { get; set; } = 64;

    /// <summary>
    /// Executions one API key may have running or queued at once (calls, streams and background executions
    /// together, every replica's), so one key cannot take every slot; beyond it that key answers 429. 0 = no
    /// limit per key. Applies only with API_KEYS (without keys every caller is the same one).
    /// </summary>
    [ConfigurationKeyName("MAX_CONCURRENT_EXECUTIONS_PER_KEY")]
    [Range(0, 100_000, ErrorMessage = "MAX_CONCURRENT_EXECUTIONS_PER_KEY must be between {1} and {2} (0 = no limit).")]
    public int MaxConcurrentExecutionsPerKey { get; set; }
}
