using CodeInterpreter.Domain.Egress;

namespace CodeInterpreter.Application.Executions;

/// <summary>What a request's <c>allow_hosts</c> must satisfy, and what it becomes.</summary>
internal static class EgressRules
{
    /// <summary>Most entries one request may list.</summary>
    public const int MaxAllowHosts = 64;

    /// <summary>
    /// Restricted egress only where the server allows it: ALLOW_NETWORK on and every entry a host name (422 per bad
    /// entry, naming it) that EGRESS_ALLOW_HOSTS covers (403 naming the entry otherwise).
    /// </summary>
    public static void Check(IReadOnlyList<string> allowHosts, ExecutionOptions limits)
    {
        if (allowHosts.Count == 0)
        {
            return;
        }

        if (allowHosts.Count > MaxAllowHosts)
        {
            throw new RequestValidationException("allow_hosts", $"allow_hosts lists {allowHosts.Count} entries; at most {MaxAllowHosts}");
        }

        var parsed = new List<EgressHost>(allowHosts.Count);
        for (var i = 0; i < allowHosts.Count; i++)
        {
            if (!EgressHost.TryParse(allowHosts[i], allowAnyHost: false, out var host, out var problem))
            {
                throw new RequestValidationException($"allow_hosts[{i}]", $"allow_hosts[{i}] '{Printable(allowHosts[i])}' {problem}");
            }

            parsed.Add(host);
        }

        if (!limits.AllowNetwork)
        {
            throw new ForbiddenException("network access is not allowed on this server (ALLOW_NETWORK=false)");
        }

        var allowed = limits.AllowedEgress();
        foreach (var host in parsed)
        {
            if (!allowed.Any(a => a.Covers(host)))
            {
                var why = host.IsAddress ? " (an IP address must be listed there itself)" : "";
                throw new ForbiddenException($"allow_hosts entry '{host}' is not allowed on this server: EGRESS_ALLOW_HOSTS does not cover it{why}");
            }
        }
    }

    /// <summary>
    /// What a request that passed <see cref="Check"/> may reach: its own entries (duplicates dropped), else with
    /// <c>network: true</c> the server's EGRESS_DEFAULT_HOSTS, else nothing (no network at all).
    /// </summary>
    public static IReadOnlyList<EgressHost> Reachable(bool network, IReadOnlyList<string> allowHosts, ExecutionOptions limits) =>
        allowHosts.Count > 0
            ? [.. allowHosts.Select(text => EgressHost.TryParse(text, allowAnyHost: false, out var host, out _) ? host : null).OfType<EgressHost>().Distinct()]
            : network ? limits.DefaultEgress() : [];

    private static string Printable(string? text) =>
        text is null ? "" : new string([.. text.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
}
