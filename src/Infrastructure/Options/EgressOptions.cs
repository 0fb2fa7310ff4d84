using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Infrastructure.Options;

/// <summary>The egress proxy: where it comes from and what it always refuses.</summary>
public sealed class EgressOptions : IValidatableObject
{
    /// <summary>Refused destinations when EGRESS_DENY_CIDRS is not set: loopback, "this network", private, shared and link-local ranges.</summary>
    public const string DefaultDenyCidrs =
        "127.0.0.0/8,0.0.0.0/8,10.0.0.0/8,100.64.0.0/10,169.254.0.0/16,172.16.0.0/12,192.168.0.0/16,224.0.0.0/4,::1/128,fc00::/7,fe80::/10";

    /// <summary>The range of <see cref="SubnetPool"/> when EGRESS_SUBNET_POOL is not set: 8192 sandboxes' networks.</summary>
    public const string DefaultSubnetPool = "10.213.0.0/16";

    /// <summary>The prefix length of each sandbox's network carved from <see cref="SubnetPool"/>.</summary>
    public const int SandboxSubnetPrefix = 29;

    /// <summary>The proxy image (docker/egress-proxy/build.sh builds it).</summary>
    [ConfigurationKeyName("EGRESS_PROXY_IMAGE")]
    [Required(ErrorMessage = "EGRESS_PROXY_IMAGE must not be empty.")]
    public string ProxyImage { get; set; } = "code-interpreter-egress-proxy:latest";

    /// <summary>
    /// An archive (<c>docker save</c>) holding <see cref="ProxyImage"/>, loaded when the engine does not have the image
    /// (Docker-in-Docker, the preloaded image); unset: the image must exist.
    /// </summary>
    [ConfigurationKeyName("EGRESS_PROXY_IMAGE_TAR")]
    public string? ProxyImageTar { get; set; }

    /// <summary>
    /// Destinations the proxy always refuses, checked on the address a name resolves to, comma-separated CIDRs.
    /// Unset: <see cref="DefaultDenyCidrs"/> plus the subnets of the engine's default bridge.
    /// </summary>
    [ConfigurationKeyName("EGRESS_DENY_CIDRS")]
    public string? DenyCidrs { get; set; }

    /// <summary>
    /// Where the internal networks of sandboxes with egress come from: one /29 of this IPv4 range per sandbox (the
    /// sandbox, the proxy and the engine's reserved addresses), never routed and always refused by the proxy as a
    /// destination. A range the engine already uses elsewhere is skipped /29 by /29.
    /// </summary>
    [ConfigurationKeyName("EGRESS_SUBNET_POOL")]
    public string SubnetPool { get; set; } = DefaultSubnetPool;

    /// <summary>A hosts file (<c>address name...</c> lines) the proxy resolves names from before DNS: tests and air-gapped sites.</summary>
    [ConfigurationKeyName("EGRESS_HOSTS_FILE")]
    public string? HostsFile { get; set; }

    /// <summary><see cref="DenyCidrs"/> as configured (the default when unset), without the engine's subnets.</summary>
    public IReadOnlyList<string> ConfiguredDenyCidrs() =>
        (DenyCidrs ?? DefaultDenyCidrs).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var cidr in ConfiguredDenyCidrs())
        {
            if (!IPNetwork.TryParse(cidr, out _))
            {
                yield return new ValidationResult($"EGRESS_DENY_CIDRS: '{cidr}' is not a CIDR (address/prefix, e.g. 10.0.0.0/8).", ["EGRESS_DENY_CIDRS"]);
            }
        }

        if (!IPNetwork.TryParse(SubnetPool, out var pool) || pool.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || pool.PrefixLength > SandboxSubnetPrefix)
        {
            yield return new ValidationResult(
                $"EGRESS_SUBNET_POOL: '{SubnetPool}' is not an IPv4 CIDR of /{SandboxSubnetPrefix} or wider (e.g. {DefaultSubnetPool}).", ["EGRESS_SUBNET_POOL"]);
        }

        if (!string.IsNullOrEmpty(HostsFile) && !File.Exists(HostsFile))
        {
            yield return new ValidationResult($"EGRESS_HOSTS_FILE={HostsFile} does not exist.", ["EGRESS_HOSTS_FILE"]);
        }
    }
}
