using System.Diagnostics.CodeAnalysis;

namespace CodeInterpreter.Domain.Files;

/// <summary>
/// A relative path inside the sandbox workspace. Parsing rejects everything that could land outside
/// it or clash with the runner, so an invalid path cannot travel inwards.
/// </summary>
public sealed record WorkspacePath
{
    public const int MaxLength = 255;

    private static readonly string[] ReservedNames = ["runner.py", ".runner"];

    private WorkspacePath(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>Parses <paramref name="raw"/>; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? raw, [NotNullWhen(true)] out WorkspacePath? path, [NotNullWhen(false)] out string? error)
    {
        path = null;
        error = Check(raw);
        if (error is not null)
        {
            return false;
        }

        path = new WorkspacePath(raw!.Replace('\\', '/'));
        return true;
    }

    private static string? Check(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return "File paths must not be empty";
        }

        if (raw.Length > MaxLength)
        {
            return $"File paths must be at most {MaxLength} characters: '{raw[..40]}...'";
        }

        if (raw.Contains('\0', StringComparison.Ordinal) || raw.Any(char.IsControl))
        {
            return $"File paths must not contain control characters: '{raw.Replace("\0", "\\0", StringComparison.Ordinal)}'";
        }

        var normalised = raw.Replace('\\', '/');
        if (normalised.StartsWith('/') || (normalised.Length > 1 && normalised[1] == ':'))
        {
            return $"File paths must be relative to the workspace: '{raw}' is absolute";
        }

        var segments = normalised.Split('/');
        if (segments.Any(s => s == ".."))
        {
            return $"File paths must not contain '..': '{raw}'";
        }

        if (segments.Any(s => s.Length == 0 || s == "."))
        {
            return $"File paths must not contain empty or '.' segments: '{raw}'";
        }

        if (ReservedNames.Contains(segments[0], StringComparer.Ordinal))
        {
            return $"File paths must not use the runner's own name: '{raw}'";
        }

        return null;
    }
}
