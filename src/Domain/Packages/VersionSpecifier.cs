using System.Diagnostics.CodeAnalysis;

namespace CodeInterpreter.Domain.Packages;

/// <summary>One PEP 440 version clause (<c>&gt;=1.2</c>, <c>==1.4.*</c>, <c>~=2.1</c>) and whether a version satisfies it.</summary>
public sealed record VersionSpecifier
{
    private static readonly string[] Operators = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

    private VersionSpecifier(string op, string version, PackageVersion? parsed, bool wildcard)
    {
        Operator = op;
        Version = version;
        Parsed = parsed;
        Wildcard = wildcard;
    }

    /// <summary><c>===</c>, <c>~=</c>, <c>==</c>, <c>!=</c>, <c>&lt;=</c>, <c>&gt;=</c>, <c>&lt;</c> or <c>&gt;</c>.</summary>
    public string Operator { get; }

    /// <summary>The version as normalised (with <c>.*</c> for a prefix match).</summary>
    public string Version { get; }

    private PackageVersion? Parsed { get; }

    private bool Wildcard { get; }

    /// <summary>The clause as pip reads it, normalised (<c>&gt;=1.0rc1</c>).</summary>
    public override string ToString() => Operator + Version;

    /// <summary>Parses one clause; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out VersionSpecifier? specifier, [NotNullWhen(false)] out string? error)
    {
        specifier = null;
        var trimmed = text.Trim();
        var op = Operators.FirstOrDefault(o => trimmed.StartsWith(o, StringComparison.Ordinal));
        if (op is null)
        {
            error = $"'{trimmed}' is not a version clause (>=, <=, ==, !=, ~=, <, >, === and a version)";
            return false;
        }

        var raw = trimmed[op.Length..].Trim();
        if (op == "===")
        {
            if (raw.Length == 0 || raw.Any(c => char.IsWhiteSpace(c) || c is ',' or ';'))
            {
                error = $"'{trimmed}' is not a version clause";
                return false;
            }

            specifier = new VersionSpecifier(op, raw, null, wildcard: false);
            error = null;
            return true;
        }

        var wildcard = raw.EndsWith(".*", StringComparison.Ordinal);
        if (wildcard && op is not ("==" or "!="))
        {
            error = $"'{trimmed}': a '.*' version is allowed only with == and !=";
            return false;
        }

        if (!PackageVersion.TryParse(wildcard ? raw[..^2] : raw, out var version)
            || (wildcard && (version.Pre is not null || version.Post is not null || version.Dev is not null || version.Local is not null))
            || (op == "~=" && version.Release.Count < 2)
            || (version.Local is not null && op is not ("==" or "!=")))
        {
            error = $"'{trimmed}' has no valid version (PEP 440)";
            return false;
        }

        specifier = new VersionSpecifier(op, version + (wildcard ? ".*" : ""), version, wildcard);
        error = null;
        return true;
    }

    /// <summary>Whether an installed <paramref name="candidate"/> satisfies this clause.</summary>
    public bool IsSatisfiedBy(PackageVersion candidate)
    {
        if (Operator == "===")
        {
            return string.Equals(candidate.Text, Version, StringComparison.OrdinalIgnoreCase);
        }

        var spec = Parsed!;
        var publicCandidate = spec.Local is null ? candidate.Public : candidate;
        return Operator switch
        {
            "==" => Wildcard ? PrefixMatches(candidate, spec.Epoch, spec.Release) : publicCandidate == spec,
            "!=" => Wildcard ? !PrefixMatches(candidate, spec.Epoch, spec.Release) : publicCandidate != spec,
            "<=" => candidate.Public <= spec,
            ">=" => candidate.Public >= spec,
            "<" => candidate.Public < spec && !(candidate.IsPreRelease && !spec.IsPreRelease && SameRelease(candidate, spec)),
            ">" => candidate.Public > spec && !(candidate.Post is not null && spec.Post is null && SameRelease(candidate, spec)),
            "~=" => candidate.Public >= spec && PrefixMatches(candidate, spec.Epoch, spec.Release.Take(spec.Release.Count - 1).ToList()),
            _ => false,
        };
    }

    private static bool SameRelease(PackageVersion left, PackageVersion right) =>
        left.Epoch == right.Epoch && PackageVersion.CompareRelease(left.Release, right.Release) == 0;

    // ==1.4.* matches every version whose release starts 1.4 (1.4, 1.4.2, 1.4rc1, 1.4.post2); ~=2.2.1 is >=2.2.1 and ==2.2.*.
    private static bool PrefixMatches(PackageVersion candidate, int epoch, IReadOnlyList<long> prefix) =>
        candidate.Epoch == epoch
        && prefix.Select((segment, i) => segment == (i < candidate.Release.Count ? candidate.Release[i] : 0)).All(same => same);
}
