using System.Security.Cryptography;

namespace CodeInterpreter.Domain.Sessions;

/// <summary>
/// Ids of sessions: <c>code-session-</c> and 32 lowercase hex digits (128 bits from a CSPRNG), in the
/// reference API's shape. They cannot be guessed, so the id alone is the capability to use a session.
/// </summary>
public static class SessionId
{
    public const string Prefix = "code-session-";

    public static string New() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
