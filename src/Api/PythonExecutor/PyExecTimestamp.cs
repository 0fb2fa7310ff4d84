using System.Globalization;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// Timestamps as python-executor's clients parse them: RFC 3339 in UTC with <c>Z</c> (Go needs a zone)
/// and exactly six fraction digits (Python 3.9/3.10's <c>fromisoformat</c> takes 0, 3 or 6, and .NET's
/// round-trip format has 7).
/// </summary>
public static class PyExecTimestamp
{
    /// <summary><paramref name="at"/> as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>; null stays null.</summary>
    public static string? Format(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);
}
