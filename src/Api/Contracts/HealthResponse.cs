namespace CodeInterpreter.Api.Contracts;

/// <summary>Liveness, as the reference API reports it (always HTTP 200).</summary>
public sealed class HealthResponse
{
    /// <summary><c>ok</c> when executions can run, <c>error</c> otherwise.</summary>
    public required string Status { get; init; }

    /// <summary>Why the status is <c>error</c>; null when ok.</summary>
    public string? Message { get; init; }

    /// <summary>The service version (semver).</summary>
    public required string Version { get; init; }
}

/// <summary>Readiness: the engine answers and the executor image exists.</summary>
public sealed class ReadinessResponse
{
    /// <summary><c>ready</c>.</summary>
    public required string Status { get; init; }
}
