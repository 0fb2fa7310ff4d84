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

    /// <summary>
    /// Sessions one API key may have open at the same time, so one key cannot take every place of
    /// MAX_SESSIONS; beyond it that key's create answers 429. 0 = no limit but MAX_SESSIONS. Applies
    /// only with API_KEYS (without keys every caller is the same one).
    /// </summary>
    [ConfigurationKeyName("MAX_SESSIONS_PER_KEY")]
    [Range(0, 10_000, ErrorMessage = "MAX_SESSIONS_PER_KEY must be between {1} and {2}.")]
    public int MaxSessionsPerKey { get; set; }

    /// <summary>How often sessions past their TTL are looked for and closed, in seconds.</summary>
    [ConfigurationKeyName("SESSION_SWEEP_INTERVAL_SEC")]
    [Range(1, 3600, ErrorMessage = "SESSION_SWEEP_INTERVAL_SEC must be between {1} and {2}.")]
    public int SweepIntervalSec { get; set; } = 10;
}
