namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>Where the pool put a sandbox that finished booting or preloading.</summary>
internal enum SandboxPlacement
{
    /// <summary>Given to the longest-waiting request.</summary>
    HandedOver,

    /// <summary>Parked, warm or booted, for the next request.</summary>
    Parked,

    /// <summary>Not taken: a booted sandbox in a calm pool, whose preloads its warmer imports now.</summary>
    Declined,
}
