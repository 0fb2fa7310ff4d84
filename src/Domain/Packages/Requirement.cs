using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace CodeInterpreter.Domain.Packages;

/// <summary>
/// One requirement by name (PEP 508 without URLs): a distribution name, canonicalised as PEP 503 says,
/// optional extras and version clauses, all normalised, and an optional environment marker.
/// </summary>
public sealed partial record Requirement
{
    /// <summary>Longest requirement line accepted.</summary>
    public const int MaxLength = 500;

    private Requirement(string name, IReadOnlyList<string> extras, IReadOnlyList<VersionSpecifier> specifiers, EnvironmentMarker? marker)
    {
        Name = name;
        Extras = extras;
        Specifiers = specifiers;
        Marker = marker;
    }

    /// <summary>The canonical distribution name (<c>scikit-learn</c> for <c>Scikit_Learn</c>).</summary>
    public string Name { get; }

    /// <summary>Canonical extras, sorted.</summary>
    public IReadOnlyList<string> Extras { get; }

    /// <summary>Version clauses, sorted.</summary>
    public IReadOnlyList<VersionSpecifier> Specifiers { get; }

    /// <summary>Where the requirement applies (<c>; python_version &lt; "3.12"</c>); null = everywhere.</summary>
    public EnvironmentMarker? Marker { get; }

    /// <summary>The same requirement for an environment its marker held in: what pip is given.</summary>
    public Requirement WithoutMarker() => Marker is null ? this : new Requirement(Name, Extras, Specifiers, null);

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?<extras>[^\]]*)\])?\s*(?<spec>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Line();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Name508();

    [GeneratedRegex(@"[-_.]+", RegexOptions.CultureInvariant)]
    private static partial Regex Separators();

    /// <summary>The PEP 503 canonical form of a distribution name: lower case, runs of <c>-_.</c> as one <c>-</c>.</summary>
    public static string Canonical(string name) => Separators().Replace(name, "-").ToLowerInvariant();

    /// <summary>Parses one requirement; on failure <paramref name="error"/> says what is wrong, naming the line.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Requirement? requirement, [NotNullWhen(false)] out string? error)
    {
        requirement = null;
        var line = (text ?? "").Trim();
        error = Refusal(line);
        if (error is not null)
        {
            return false;
        }

        EnvironmentMarker? marker = null;
        if (line.IndexOf(';', StringComparison.Ordinal) is var semicolon and >= 0)
        {
            if (!EnvironmentMarker.TryParse(line[(semicolon + 1)..], out marker, out var markerError))
            {
                error = $"'{Shown(line)}': {markerError}";
                return false;
            }

            line = line[..semicolon].TrimEnd();
        }

        error = SourceRefusal(line);
        if (error is not null)
        {
            return false;
        }

        var match = Line().Match(line);
        if (!match.Success)
        {
            error = $"'{Shown(line)}' is not a requirement: a distribution name, optional [extras] and version clauses (PEP 508)";
            return false;
        }

        var extras = new List<string>();
        if (match.Groups["extras"].Success)
        {
            foreach (var extra in match.Groups["extras"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!Name508().IsMatch(extra))
                {
                    error = $"'{Shown(line)}': extra '{Shown(extra)}' is not a valid name";
                    return false;
                }

                extras.Add(Canonical(extra));
            }
        }

        var specifiers = new List<VersionSpecifier>();
        var spec = match.Groups["spec"].Value.Trim();
        if (spec.StartsWith('(') && spec.EndsWith(')'))
        {
            spec = spec[1..^1];
        }

        if (spec.Length > 0)
        {
            foreach (var clause in spec.Split(','))
            {
                if (!VersionSpecifier.TryParse(clause, out var specifier, out var clauseError))
                {
                    error = $"'{Shown(line)}': {clauseError}";
                    return false;
                }

                specifiers.Add(specifier);
            }
        }

        requirement = new Requirement(
            Canonical(match.Groups["name"].Value),
            [.. extras.Distinct().Order(StringComparer.Ordinal)],
            [.. specifiers.DistinctBy(s => s.ToString()).OrderBy(s => s.ToString(), StringComparer.Ordinal)],
            marker);
        return true;
    }

    /// <summary>Whether an installed <paramref name="version"/> of this distribution meets every clause.</summary>
    public bool IsSatisfiedBy(PackageVersion version) => Specifiers.All(s => s.IsSatisfiedBy(version));

    /// <summary>The normalised line: <c>name[extra]&gt;=1,&lt;2</c>, then <c>; marker</c> if it has one.</summary>
    public override string ToString() =>
        Name + (Extras.Count > 0 ? "[" + string.Join(',', Extras) + "]" : "") + string.Join(',', Specifiers)
        + (Marker is null ? "" : "; " + Marker);

    /// <summary>What a requirements line may not be here: empty, too long, pip options.</summary>
    private static string? Refusal(string line)
    {
        if (line.Length == 0)
        {
            return "a requirement must not be empty";
        }

        if (line.Length > MaxLength)
        {
            return $"'{Shown(line)}' is longer than {MaxLength} characters";
        }

        if (line.Any(char.IsControl))
        {
            return $"'{Shown(line)}' contains control characters";
        }

        if (line.StartsWith('-'))
        {
            return $"'{Shown(line)}': pip options (-e, -r, -c, --index-url, --find-links, ...) are not allowed; the server chooses the package source";
        }

        if (line.Contains(" --", StringComparison.Ordinal))
        {
            return $"'{Shown(line)}': per-requirement pip options (--hash, ...) are not allowed";
        }

        return null;
    }

    /// <summary>What the requirement part of a line (before any marker) may not name: URLs, paths, archives.</summary>
    private static string? SourceRefusal(string line)
    {
        if (line.Contains("://", StringComparison.Ordinal) || line.Contains('@', StringComparison.Ordinal))
        {
            return $"'{Shown(line)}': URLs and direct references are not allowed; name a distribution from the server's package source";
        }

        if (line.StartsWith('.') || line.StartsWith('~') || line.Contains('/', StringComparison.Ordinal) || line.Contains('\\', StringComparison.Ordinal)
            || line.EndsWith(".whl", StringComparison.OrdinalIgnoreCase) || line.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            || line.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase))
        {
            return $"'{Shown(line)}': paths and archive files are not allowed; name a distribution from the server's package source";
        }

        return null;
    }

    private static string Shown(string text) =>
        new([.. text.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
