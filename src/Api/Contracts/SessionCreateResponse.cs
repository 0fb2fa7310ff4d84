namespace CodeInterpreter.Api.Contracts;

/// <summary>An opened session.</summary>
public sealed class SessionCreateResponse
{
    /// <summary>The session's id (<c>code-session-</c> and 32 hex digits); it is all a caller needs to use the session.</summary>
    public required string SessionId { get; init; }

    /// <summary>When the session is closed and its sandbox removed, unless deleted before: a Unix timestamp in seconds, with fractions (as the reference API declares it).</summary>
    public required double ExpiresAt { get; init; }
}
