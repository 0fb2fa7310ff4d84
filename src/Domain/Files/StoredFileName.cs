using System.Globalization;
using System.Text;

namespace CodeInterpreter.Domain.Files;

/// <summary>
/// The name a stored file is offered under (Content-Disposition, listings). Client-supplied names are
/// metadata only: no control characters, no directories, never empty, at most <see cref="MaxLength"/>
/// characters.
/// </summary>
public static class StoredFileName
{
    public const int MaxLength = 255;

    /// <summary>Used when nothing of the supplied name is left.</summary>
    public const string Fallback = "file";

    public static string Sanitize(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return Fallback;
        }

        // Browsers and some clients send the client's path (C:\fakepath\report.csv): keep the last part.
        var name = raw;
        var separator = name.TrimEnd('/', '\\').LastIndexOfAny(['/', '\\']);
        if (separator >= 0)
        {
            name = name[(separator + 1)..];
        }

        var clean = new StringBuilder(Math.Min(name.Length, MaxLength));
        foreach (var rune in name.EnumerateRunes())
        {
            // Format characters include the bidi overrides that make "exe.txt" display as "txt.exe".
            if (Rune.IsControl(rune) || rune.Value is '/' or '\\'
                || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format)
            {
                continue;
            }

            if (clean.Length + rune.Utf16SequenceLength > MaxLength)
            {
                break;
            }

            clean.Append(rune.ToString());
        }

        var result = clean.ToString().Trim();
        return result is "" or "." or ".." ? Fallback : result;
    }
}
