using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>How many sessions may be open and how often expired ones are closed.</summary>
public sealed class SessionOptions
{
    /// <summary>Sessions open at the same time; beyond this creating one answers 429.</summary>
    [ConfigurationKeyName("MAX_SESSIONS")]
    [Range(1, 10_000, ErrorMessage = "MAX_SESSIONS must be between {1} and {2}.")]
    public int MaxSessions { get; set; } = 16;

    /// <summary>How often sessions past their TTL are looked for and closed, in seconds.</summary>
    [ConfigurationKeyName("SESSION_SWEEP_INTERVAL_SEC")]
    [Range(1, 3600, ErrorMessage = "SESSION_SWEEP_INTERVAL_SEC must be between {1} and {2}.")]
    public int SweepIntervalSec { get; set; } = 10;
}
