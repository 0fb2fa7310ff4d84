namespace CodeInterpreter.Domain.Sessions;

/// <summary>A session that is open: its id and when it is closed unless deleted before.</summary>
public sealed record OpenedSession(string SessionId, DateTimeOffset ExpiresAt);
