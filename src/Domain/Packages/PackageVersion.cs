using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CodeInterpreter.Domain.Packages;

/// <summary>
/// A PEP 440 version, compared as pip compares them: epoch, release (trailing zeros ignored), then
/// pre-, post- and development releases, then the local label.
/// </summary>
public sealed partial class PackageVersion : IComparable<PackageVersion>, IEquatable<PackageVersion>
{
    private PackageVersion(
        string text, int epoch, IReadOnlyList<long> release, (int Phase, long Number)? pre, long? post, long? dev, string? local)
    {
        Text = text;
        Epoch = epoch;
        Release = release;
        Pre = pre;
        Post = post;
        Dev = dev;
        Local = local;
    }

    /// <summary>The version as written.</summary>
    public string Text { get; }

    /// <summary>The epoch (<c>N!</c>), 0 when absent.</summary>
    public int Epoch { get; }

    /// <summary>The release segments (<c>1.2.3</c>).</summary>
    public IReadOnlyList<long> Release { get; }

    /// <summary>The pre-release: phase 0 = a, 1 = b, 2 = rc, and its number.</summary>
    public (int Phase, long Number)? Pre { get; }

    /// <summary>The post-release number.</summary>
    public long? Post { get; }

    /// <summary>The development release number.</summary>
    public long? Dev { get; }

    /// <summary>The local label after <c>+</c>, lower case.</summary>
    public string? Local { get; }

    /// <summary>A pre- or development release.</summary>
    public bool IsPreRelease => Pre is not null || Dev is not null;

    /// <summary>This version without its local label.</summary>
    public PackageVersion Public => Local is null ? this : new(Text, Epoch, Release, Pre, Post, Dev, null);

    [GeneratedRegex(
        @"^\s*v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)"
        + @"(?:[-_.]?(?<prel>alpha|beta|preview|pre|a|b|c|rc)[-_.]?(?<pren>[0-9]+)?)?"
        + @"(?:-(?<postn1>[0-9]+)|[-_.]?(?<postl>post|rev|r)[-_.]?(?<postn2>[0-9]+)?)?"
        + @"(?:[-_.]?(?<devl>dev)[-_.]?(?<devn>[0-9]+)?)?"
        + @"(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Parses a PEP 440 version; false when <paramref name="text"/> is not one.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PackageVersion? version)
    {
        version = null;
        if (text is null || text.Length > 128)
        {
            return false;
        }

        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        if (!TryNumbers(match.Groups["release"].Value.Split('.'), out var release)
            || !TryNumber(match.Groups["epoch"], 0, out var epoch) || epoch > int.MaxValue
            || !TryNumber(match.Groups["pren"], 0, out var preNumber)
            || !TryNumber(match.Groups["postn1"].Success ? match.Groups["postn1"] : match.Groups["postn2"], 0, out var postNumber)
            || !TryNumber(match.Groups["devn"], 0, out var devNumber))
        {
            return false;
        }

        (int, long)? pre = match.Groups["prel"].Success ? (Phase(match.Groups["prel"].Value), preNumber) : null;
        long? post = match.Groups["postn1"].Success || match.Groups["postl"].Success ? postNumber : null;
        long? dev = match.Groups["devl"].Success ? devNumber : null;
        var local = match.Groups["local"].Success ? match.Groups["local"].Value.ToLowerInvariant().Replace('-', '.').Replace('_', '.') : null;
        version = new PackageVersion(text.Trim(), (int)epoch, release, pre, post, dev, local);
        return true;
    }

    /// <summary>The canonical spelling (<c>1.0rc1</c> for <c>1.0-RC.1</c>).</summary>
    public override string ToString()
    {
        var text = (Epoch != 0 ? string.Create(CultureInfo.InvariantCulture, $"{Epoch}!") : "")
            + string.Join('.', Release.Select(r => r.ToString(CultureInfo.InvariantCulture)));
        if (Pre is { } pre)
        {
            text += (pre.Phase switch { 0 => "a", 1 => "b", _ => "rc" }) + pre.Number.ToString(CultureInfo.InvariantCulture);
        }

        if (Post is { } post)
        {
            text += ".post" + post.ToString(CultureInfo.InvariantCulture);
        }

        if (Dev is { } dev)
        {
            text += ".dev" + dev.ToString(CultureInfo.InvariantCulture);
        }

        return Local is null ? text : text + "+" + Local;
    }

    /// <inheritdoc/>
    public int CompareTo(PackageVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var order = Epoch.CompareTo(other.Epoch);
        if (order != 0)
        {
            return order;
        }

        order = CompareRelease(Release, other.Release);
        if (order != 0)
        {
            return order;
        }

        order = PreKey(this).CompareTo(PreKey(other));
        if (order != 0)
        {
            return order;
        }

        order = (Post ?? -1).CompareTo(other.Post ?? -1);
        if (order != 0)
        {
            return order;
        }

        order = (Dev ?? long.MaxValue).CompareTo(other.Dev ?? long.MaxValue);
        return order != 0 ? order : string.CompareOrdinal(Local ?? "", other.Local ?? "");
    }

    /// <summary>Same version by PEP 440 (<c>1.0 == 1.0.0</c>).</summary>
    public bool Equals(PackageVersion? other) => CompareTo(other) == 0;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PackageVersion other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Epoch);
        var length = Release.Count;
        while (length > 1 && Release[length - 1] == 0)
        {
            length--;
        }

        for (var i = 0; i < length; i++)
        {
            hash.Add(Release[i]);
        }

        hash.Add(Pre);
        hash.Add(Post);
        hash.Add(Dev);
        hash.Add(Local);
        return hash.ToHashCode();
    }

    /// <summary>The release segments compared as if the shorter one had trailing zeros.</summary>
    public static int CompareRelease(IReadOnlyList<long> left, IReadOnlyList<long> right)
    {
        for (var i = 0; i < Math.Max(left.Count, right.Count); i++)
        {
            var order = (i < left.Count ? left[i] : 0).CompareTo(i < right.Count ? right[i] : 0);
            if (order != 0)
            {
                return order;
            }
        }

        return 0;
    }

    // A development release of a final version (1.0.dev1) sorts before its pre-releases (1.0a1).
    private static (int, long) PreKey(PackageVersion v) => v.Pre switch
    {
        { } pre => (pre.Phase, pre.Number),
        null when v.Dev is not null && v.Post is null => (-1, 0),
        _ => (int.MaxValue, 0),
    };

    private static int Phase(string label) => label.ToLowerInvariant() switch
    {
        "a" or "alpha" => 0,
        "b" or "beta" => 1,
        _ => 2,
    };

    private static bool TryNumbers(string[] parts, out IReadOnlyList<long> numbers)
    {
        var list = new List<long>(parts.Length);
        foreach (var part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                numbers = [];
                return false;
            }

            list.Add(n);
        }

        numbers = list;
        return true;
    }

    private static bool TryNumber(Group group, long absent, out long number)
    {
        number = absent;
        return !group.Success || long.TryParse(group.Value, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    /// <summary>Same version by PEP 440.</summary>
    public static bool operator ==(PackageVersion? left, PackageVersion? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Different versions by PEP 440.</summary>
    public static bool operator !=(PackageVersion? left, PackageVersion? right) => !(left == right);

    /// <summary>Ordered by PEP 440.</summary>
    public static bool operator <(PackageVersion left, PackageVersion right) => left.CompareTo(right) < 0;

    /// <summary>Ordered by PEP 440.</summary>
    public static bool operator >(PackageVersion left, PackageVersion right) => left.CompareTo(right) > 0;

    /// <summary>Ordered by PEP 440.</summary>
    public static bool operator <=(PackageVersion left, PackageVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Ordered by PEP 440.</summary>
    public static bool operator >=(PackageVersion left, PackageVersion right) => left.CompareTo(right) >= 0;
}
