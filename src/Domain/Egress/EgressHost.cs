using System.Globalization;
using System.Text.RegularExpressions;

namespace CodeInterpreter.Domain.Egress;

/// <summary>
/// One entry of an egress allow-list: a host name (<c>api.example.com</c>), a host name whose first label
/// is a wildcard for exactly one label (<c>*.example.org</c>), the wildcard <c>*</c> for any host (only on
/// the server's own lists), or an IPv4 literal (only where the server's list names it), each with an
/// optional port (<c>:443</c>; none = any port). Lower-cased on parse, so two spellings of a host compare equal.
/// </summary>
public sealed partial record EgressHost
{
    private const int MaxLength = 253;

    private EgressHost(string host, int? port)
    {
        Host = host;
        Port = port;
    }

    /// <summary>The host name, <c>*.suffix</c>, <c>*</c> or an IPv4 literal, lower case.</summary>
    public string Host { get; }

    /// <summary>The one port allowed; null = any.</summary>
    public int? Port { get; }

    /// <summary>True for <c>*</c>, which names every host.</summary>
    public bool IsAnyHost => Host == "*";

    /// <summary>True for <c>*.suffix</c>.</summary>
    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>True for an IPv4 literal.</summary>
    public bool IsAddress => AddressPattern().IsMatch(Host);

    /// <summary>Parses <paramref name="text"/>; false with the reason when it is not an allow-list entry.</summary>
    /// <param name="text">The entry as written.</param>
    /// <param name="allowAnyHost">Whether <c>*</c> alone is an entry (server lists only).</param>
    /// <param name="entry">The parsed entry.</param>
    /// <param name="problem">Why it was refused.</param>
    public static bool TryParse(string? text, bool allowAnyHost, out EgressHost entry, out string problem)
    {
        entry = null!;
        problem = "";
        var value = (text ?? "").Trim().ToLowerInvariant();
        if (value.Length == 0)
        {
            problem = "is empty";
            return false;
        }

        if (value.Contains('[', StringComparison.Ordinal) || value.Count(c => c == ':') > 1)
        {
            problem = "is an IPv6 literal, which egress does not support";
            return false;
        }

        int? port = null;
        var colon = value.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                problem = "has a port that is not a number from 1 to 65535";
                return false;
            }

            port = number;
            value = value[..colon];
        }

        if (value == "*")
        {
            if (!allowAnyHost)
            {
                problem = "is '*' (any host), which only the server's EGRESS_ALLOW_HOSTS may name";
                return false;
            }
        }
        else if (value.Length > MaxLength || !(AddressPattern().IsMatch(value) ? ValidAddress(value) : NamePattern().IsMatch(value)))
        {
            problem = "is not a host name (letters, digits and '-' in dot-separated labels, optionally '*.' first, then ':port')";
            return false;
        }

        entry = new EgressHost(value, port);
        return true;
    }

    /// <summary>Whether this (server) entry lets a request name <paramref name="requested"/>: every host and port the request allows must be one this entry allows.</summary>
    public bool Covers(EgressHost requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        if (Port is { } port && requested.Port != port)
        {
            return false;
        }

        if (requested.IsAddress || Host == requested.Host)
        {
            return Host == requested.Host;
        }

        if (IsAnyHost)
        {
            return true;
        }

        // *.example.org covers a.example.org and no deeper name, and no other wildcard but itself.
        return IsWildcard && !requested.IsWildcard && MatchesOneLabel(Host[1..], requested.Host);
    }

    /// <summary>The proxy's form of the entry: host pattern and port (<c>*</c> = any), separated by a space.</summary>
    public string ToProxyRule() => Port is { } port ? $"{Host} {port.ToString(CultureInfo.InvariantCulture)}" : $"{Host} *";

    /// <inheritdoc />
    public override string ToString() => Port is { } port ? $"{Host}:{port.ToString(CultureInfo.InvariantCulture)}" : Host;

    private static bool MatchesOneLabel(string suffix, string host) =>
        host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.Ordinal) && !host[..^suffix.Length].Contains('.', StringComparison.Ordinal);

    private static bool ValidAddress(string value) => value.Split('.').All(part => int.Parse(part, CultureInfo.InvariantCulture) <= 255 && (part.Length == 1 || part[0] != '0'));

    [GeneratedRegex(@"^[0-9]{1,3}(\.[0-9]{1,3}){3}$", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
