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

    /// <summary>The proxy image (docker/egress-proxy/build.sh builds it).</summary>
    [ConfigurationKeyName("EGRESS_PROXY_IMAGE")]
    [Required(ErrorMessage = "EGRESS_PROXY_IMAGE must not be empty.")]
    public string ProxyImage { get; set; } = "code-interpreter-egress-proxy:latest";

    /// <summary>
    /// Destinations the proxy always refuses, checked on the address a name resolves to, comma-separated CIDRs.
    /// Unset: <see cref="DefaultDenyCidrs"/> plus the subnets of the engine's default bridge.
    /// </summary>
    [ConfigurationKeyName("EGRESS_DENY_CIDRS")]
    public string? DenyCidrs { get; set; }

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

        if (!string.IsNullOrEmpty(HostsFile) && !File.Exists(HostsFile))
        {
            yield return new ValidationResult($"EGRESS_HOSTS_FILE={HostsFile} does not exist.", ["EGRESS_HOSTS_FILE"]);
        }
    }
}
