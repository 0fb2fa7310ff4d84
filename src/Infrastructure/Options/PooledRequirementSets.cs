using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Infrastructure.Options;

/// <summary>
/// POOL_ENVIRONMENTS: the hot requirement sets the pool keeps warm sandboxes for, written as a JSON array of
/// arrays of PEP 508 strings (<c>[["numpy"],["pandas&lt;3","pyarrow"]]</c>). JSON because a requirement may hold
/// commas, semicolons, spaces and quotes (<c>foo&gt;=1,&lt;2; python_version &lt; "3.13"</c>): no separator
/// character would be unambiguous. Each set is checked by the rules a request's <c>requirements</c> follow.
/// </summary>
public static class PooledRequirementSets
{
    /// <summary>Most sets POOL_ENVIRONMENTS may name (each keeps its own warm sandboxes).</summary>
    public const int MaxSets = 16;

    /// <summary>Parses the setting; empty or blank = no sets. On failure <paramref name="error"/> says which set is wrong and why.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out IReadOnlyList<RequirementSet>? sets, [NotNullWhen(false)] out string? error)
    {
        sets = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            sets = [];
            error = null;
            return true;
        }

        string[][]? raw;
        try
        {
            raw = JsonSerializer.Deserialize<string[][]>(value);
        }
        catch (JsonException)
        {
            raw = null;
        }

        if (raw is null || raw.Any(set => set is null || set.Any(line => line is null)))
        {
            error = """must be a JSON array of requirement sets, each an array of PEP 508 strings, e.g. [["numpy"],["pandas<3","pyarrow"]]""";
            return false;
        }

        if (raw.Length > MaxSets)
        {
            error = $"names {raw.Length} requirement sets; at most {MaxSets} are allowed";
            return false;
        }

        var parsed = new List<RequirementSet>();
        for (var i = 0; i < raw.Length; i++)
        {
            var written = JsonSerializer.Serialize(raw[i]);
            if (!RequirementSet.TryParse(raw[i], out var set, out var reason))
            {
                error = $"set {i + 1} {written}: {reason}";
                return false;
            }

            if (set.IsEmpty)
            {
                error = $"set {i + 1} {written} is empty: name at least one requirement";
                return false;
            }

            if (parsed.FindIndex(other => other.Equals(set)) is var same and >= 0)
            {
                error = $"set {i + 1} {written} is the same requirement set as set {same + 1}";
                return false;
            }

            parsed.Add(set);
        }

        sets = parsed;
        error = null;
        return true;
    }
}
