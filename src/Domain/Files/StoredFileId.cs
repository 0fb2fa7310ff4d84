using System.Buffers;
using System.Security.Cryptography;

namespace CodeInterpreter.Domain.Files;

/// <summary>
/// Ids of stored files: 32 lowercase hex digits (128 bits from a CSPRNG), so they cannot be guessed.
/// Stores may use an id in a path or key only after <see cref="IsWellFormed"/> accepted it: an id
/// from a request such as <c>../x</c> is then simply unknown.
/// </summary>
public static class StoredFileId
{
    public const int Length = 32;

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    public static bool IsWellFormed(string? id) =>
        id is { Length: Length } && id.AsSpan().IndexOfAnyExcept(LowerHexDigits) < 0;
}
