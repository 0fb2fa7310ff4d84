using System.Text;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// squid.conf of the egress proxy. Order of the rules: the cache manager never; then the sandbox's own
/// allow-list (the external helper, asked on every request: a registration counts from the moment it is
/// written, and so does its removal); then the proxy's own loopback and EGRESS_DENY_CIDRS, both on the
/// address squid resolved the name to, and the same address is the one it connects to. Each refusal has its
/// own page naming the host and the rule.
/// </summary>
internal static class SquidConfiguration
{
    public const int Port = 3128;

    /// <summary>Where the configuration and the hosts file go in the proxy container.</summary>
    public const string Directory = "/etc/squid";

    public const string FileName = "egress.conf";

    public const string HostsFileName = "egress-hosts";

    /// <summary>The first word of every access log line, so log lines tell from squid's other output.</summary>
    public const string LogTag = "egress";

    public static string Build(IReadOnlyList<string> denyCidrs, bool hostsFile)
    {
        var text = new StringBuilder();
        text.Append($"""
            http_port {Port}
            pid_filename none
            pinger_enable off
            cache deny all
            cache_mem 8 MB
            coredump_dir none
            via off
            forwarded_for delete
            httpd_suppress_version_string on
            shutdown_lifetime 1 seconds
            client_lifetime 1 hour
            logformat {LogTag} {LogTag} %>a %>rd %>rP %Ss/%>Hs %<st %>st
            access_log stdio:/dev/stdout {LogTag}
            cache_log stdio:/dev/stderr
            error_directory /usr/share/squid/errors/templates
            hosts_file {(hostsFile ? $"{Directory}/{HostsFileName}" : "none")}
            external_acl_type egress_list ttl=0 negative_ttl=0 children-max=8 children-startup=2 %>a %>rd %>rP /usr/local/bin/egress-allow
            acl egress_allowed external egress_list
            deny_info ERR_EGRESS_NOT_ALLOWED egress_allowed
            http_access deny manager
            http_access deny !egress_allowed
            deny_info ERR_EGRESS_DENIED_ADDRESS to_localhost
            http_access deny to_localhost

            """);
        if (denyCidrs.Count > 0)
        {
            text.Append($"acl egress_denied_address dst {string.Join(' ', denyCidrs)}\n");
            text.Append("deny_info ERR_EGRESS_DENIED_ADDRESS egress_denied_address\n");
            text.Append("http_access deny egress_denied_address\n");
        }

        text.Append("http_access allow all\n");
        return text.ToString();
    }
}
