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

    /// <summary>The container runtime sandboxes run under: <c>runc</c> or <c>runsc</c> (gVisor). Not in the reference's shape.</summary>
    public string? Runtime { get; init; }
}

/// <summary>Readiness: the engine answers and the executor image exists.</summary>
public sealed class ReadinessResponse
{
    /// <summary><c>ready</c>.</summary>
    public required string Status { get; init; }

    /// <summary>What the warm pool holds right now.</summary>
    public required PoolStatusResponse Pool { get; init; }

    /// <summary>The container runtime sandboxes run under: <c>runc</c> or <c>runsc</c> (gVisor).</summary>
    public string? Runtime { get; init; }
}

/// <summary>The warm pool at the moment of the probe.</summary>
public sealed class PoolStatusResponse
{
    /// <summary>POOL_SIZE: sandboxes kept ahead of need (0 = the pool is off).</summary>
    public required int Size { get; init; }

    /// <summary>Parked sandboxes with their SANDBOX_PRELOAD modules imported.</summary>
    public required int Ready { get; init; }

    /// <summary>Parked sandboxes without their preloads (requests were waiting; imported once calm).</summary>
    public required int Booted { get; init; }

    /// <summary>Sandboxes being created, booted or preloaded.</summary>
    public required int Starting { get; init; }

    /// <summary>Requests waiting for a sandbox.</summary>
    public required int WaitingRequests { get; init; }
}
