namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// One look at the pool: <paramref name="Size"/> is POOL_SIZE; <paramref name="Ready"/> sandboxes have
/// their preloads imported, <paramref name="Booted"/> were parked without them (the pool was busy),
/// <paramref name="Starting"/> are being created, booted or preloaded, and
/// <paramref name="WaitingRequests"/> wait for one.
/// </summary>
public sealed record SandboxPoolSnapshot(int Size, int Ready, int Booted, int Starting, int WaitingRequests);
