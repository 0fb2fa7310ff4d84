using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace CodeInterpreter.Domain.Packages;

/// <summary>
/// The requirements of a request, normalised: each a <see cref="Requirement"/>, one per distribution,
/// sorted by name, so two requests asking for the same thing in another spelling or order are equal
/// and share one <see cref="Hash"/>.
/// </summary>
public sealed class RequirementSet : IEquatable<RequirementSet>
{
    /// <summary>Most requirements in one request.</summary>
    public const int MaxRequirements = 100;

    /// <summary>No requirements.</summary>
    public static readonly RequirementSet Empty = new([]);

    private RequirementSet(IReadOnlyList<Requirement> requirements) => Requirements = requirements;

    /// <summary>The requirements, sorted by canonical name.</summary>
    public IReadOnlyList<Requirement> Requirements { get; }

    /// <summary>Nothing required.</summary>
    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>The normalised lines, one per requirement (what pip is given).</summary>
    public IReadOnlyList<string> Lines => [.. Requirements.Select(r => r.ToString())];

    /// <summary>SHA-256 (hex, lower case) of the normalised lines: the set's identity.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Lines))));

    /// <summary>
    /// Parses requirement lines: each a requirement, or requirements.txt text (blank lines and <c>#</c> comments
    /// skipped, <c>\</c> continues a line); on failure <paramref name="error"/> names the line at fault.
    /// </summary>
    public static bool TryParse(IEnumerable<string> lines, [NotNullWhen(true)] out RequirementSet? set, [NotNullWhen(false)] out string? error)
    {
        set = null;
        var parsed = new Dictionary<string, Requirement>(StringComparer.Ordinal);
        foreach (var line in LogicalLines(lines))
        {
            if (!Requirement.TryParse(line, out var requirement, out error))
            {
                return false;
            }

            // One line per distribution, or one per distribution and marker (each for another environment).
            if (!parsed.TryAdd(requirement.Name + ";" + requirement.Marker, requirement))
            {
                error = $"'{requirement.Name}' is required twice: give each distribution once, with all its version clauses";
                return false;
            }

            if (parsed.Count > MaxRequirements)
            {
                error = $"at most {MaxRequirements} requirements are allowed";
                return false;
            }
        }

        set = parsed.Count == 0 ? Empty : new RequirementSet(Sorted(parsed.Values));
        error = null;
        return true;
    }

    /// <summary>
    /// The requirements that apply in <paramref name="environment"/> (an image's PEP 508 marker variables), their
    /// markers dropped: what pip would install there. A distribution whose markers both hold there is an error.
    /// </summary>
    public bool TryForEnvironment(
        IReadOnlyDictionary<string, string> environment, [NotNullWhen(true)] out RequirementSet? set, [NotNullWhen(false)] out string? error)
    {
        set = null;
        var applying = new Dictionary<string, Requirement>(StringComparer.Ordinal);
        foreach (var requirement in Requirements.Where(r => r.Marker?.Evaluate(environment) ?? true))
        {
            if (!applying.TryAdd(requirement.Name, requirement.WithoutMarker()))
            {
                error = $"'{requirement.Name}' is required twice for the executor image's environment: its markers overlap";
                return false;
            }
        }

        set = applying.Count == 0 ? Empty : new RequirementSet(Sorted(applying.Values));
        error = null;
        return true;
    }

    /// <summary>This set plus <paramref name="more"/> (requirements of distributions already here are not added).</summary>
    public RequirementSet With(IEnumerable<Requirement> more)
    {
        var all = Requirements.ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var requirement in more)
        {
            all.TryAdd(requirement.Name, requirement);
        }

        return new RequirementSet(Sorted(all.Values));
    }

    private static Requirement[] Sorted(IEnumerable<Requirement> requirements) =>
        [.. requirements.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Marker?.Text, StringComparer.Ordinal)];

    /// <inheritdoc/>
    public bool Equals(RequirementSet? other) => other is not null && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RequirementSet other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => string.Join('\n', Lines);

    // requirements.txt: comments start at a '#' at the start or after white space; a trailing '\' joins the next line.
    private static IEnumerable<string> LogicalLines(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            var pending = new StringBuilder();
            foreach (var physical in entry.Split('\n'))
            {
                var line = physical.TrimEnd('\r');
                var comment = line.StartsWith('#') ? 0 : line.IndexOf(" #", StringComparison.Ordinal);
                var tabComment = line.IndexOf("\t#", StringComparison.Ordinal);
                if (tabComment >= 0 && (comment < 0 || tabComment < comment))
                {
                    comment = tabComment;
                }

                if (comment >= 0)
                {
                    line = line[..comment];
                }

                if (line.EndsWith('\\'))
                {
                    pending.Append(line[..^1]);
                    continue;
                }

                pending.Append(line);
                var logical = pending.ToString().Trim();
                pending.Clear();
                if (logical.Length > 0)
                {
                    yield return logical;
                }
            }

            if (pending.ToString().Trim() is { Length: > 0 } rest)
            {
                yield return rest;
            }
        }
    }
}
