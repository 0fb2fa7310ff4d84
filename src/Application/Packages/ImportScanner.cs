using System.Text.RegularExpressions;

namespace CodeInterpreter.Application.Packages;

/// <summary>
/// The top-level modules Python source imports (<c>import a.b</c>, <c>from a import b</c>, at any depth),
/// found line by line: a heuristic (an import guarded by <c>try</c> counts too), never a reason to refuse a run.
/// </summary>
internal static partial class ImportScanner
{
    [GeneratedRegex(@"^\s*import\s+(?<names>[A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*(?:\s+as\s+\w+)?)*)", RegexOptions.CultureInvariant)]
    private static partial Regex ImportLine();

    [GeneratedRegex(@"^\s*from\s+(?<module>[A-Za-z_][\w.]*)\s+import\b", RegexOptions.CultureInvariant)]
    private static partial Regex FromLine();

    /// <summary>The top-level module names imported by any of <paramref name="sources"/>, sorted.</summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> sources)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var quote = (string?)null;
            foreach (var rawLine in source.Split('\n'))
            {
                // Lines inside a triple-quoted string (a docstring's example) are not code.
                var inString = quote is not null;
                quote = ToggleTripleQuote(rawLine, quote);
                if (inString)
                {
                    continue;
                }

                foreach (var statement in rawLine.Split(';'))
                {
                    AddImports(statement, found);
                }
            }
        }

        found.Remove("__future__");
        return [.. found];
    }

    /// <summary>The names a project's own files make importable: each folder and each <c>.py</c> file's stem.</summary>
    public static IReadOnlySet<string> ProjectModules(IEnumerable<string> paths)
    {
        var modules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var segments = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < segments.Length; i++)
            {
                var segment = segments[i];
                if (i < segments.Length - 1)
                {
                    modules.Add(segment);
                }
                else if (segment.EndsWith(".py", StringComparison.Ordinal))
                {
                    modules.Add(segment[..^3]);
                }
            }
        }

        return modules;
    }

    private static void AddImports(string statement, SortedSet<string> found)
    {
        var from = FromLine().Match(statement);
        if (from.Success)
        {
            found.Add(from.Groups["module"].Value.Split('.')[0]);
            return;
        }

        var import = ImportLine().Match(statement);
        if (!import.Success)
        {
            return;
        }

        foreach (var name in import.Groups["names"].Value.Split(','))
        {
            found.Add(name.Trim().Split(' ', '.')[0]);
        }
    }

    private static string? ToggleTripleQuote(string line, string? open)
    {
        var index = 0;
        while (true)
        {
            if (open is null)
            {
                var dq = line.IndexOf("\"\"\"", index, StringComparison.Ordinal);
                var sq = line.IndexOf("'''", index, StringComparison.Ordinal);
                if (dq < 0 && sq < 0)
                {
                    return null;
                }

                var at = dq < 0 ? sq : sq < 0 ? dq : Math.Min(dq, sq);
                open = line.Substring(at, 3);
                index = at + 3;
            }
            else
            {
                var close = line.IndexOf(open, index, StringComparison.Ordinal);
                if (close < 0)
                {
                    return open;
                }

                open = null;
                index = close + 3;
            }
        }
    }
}
