using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Tests.Executions;

public sealed class EgressRulesTests
{
    private static readonly ExecutionOptions Server = new() { AllowNetwork = true, EgressAllowHosts = "*.example.org, api.example.com:443" };

    [Test]
    public void Entries_the_server_list_covers_pass()
    {
        var check = () => EgressRules.Check(["a.example.org", "api.example.com:443"], Server);

        check.Should().NotThrow();
    }

    [Test]
    public void A_malformed_entry_is_a_422_naming_its_index()
    {
        var check = () => EgressRules.Check(["a.example.org", "no spaces.example"], Server);

        check.Should().Throw<RequestValidationException>().Where(e => e.Field == "allow_hosts[1]" && e.Message.Contains("no spaces.example"));
    }

    [Test]
    public void An_entry_outside_EGRESS_ALLOW_HOSTS_is_forbidden()
    {
        var check = () => EgressRules.Check(["api.example.com:80"], Server);

        check.Should().Throw<ForbiddenException>().WithMessage("*api.example.com:80*EGRESS_ALLOW_HOSTS*");
    }

    [Test]
    public void An_ip_literal_is_forbidden_unless_the_server_lists_it()
    {
        var check = () => EgressRules.Check(["10.0.0.5"], new ExecutionOptions { AllowNetwork = true, EgressAllowHosts = "*" });

        check.Should().Throw<ForbiddenException>().WithMessage("*IP address*");
    }

    [Test]
    public void Without_ALLOW_NETWORK_any_allow_hosts_is_forbidden()
    {
        var check = () => EgressRules.Check(["a.example.org"], new ExecutionOptions { AllowNetwork = false, EgressAllowHosts = "*" });

        check.Should().Throw<ForbiddenException>().WithMessage("*ALLOW_NETWORK*");
    }

    [Test]
    public void A_malformed_server_list_fails_option_validation_naming_the_variable()
    {
        var options = new ExecutionOptions { EgressAllowHosts = "ok.example, not ok" };

        var results = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        results.Should().ContainSingle().Which.ErrorMessage.Should().Contain("EGRESS_ALLOW_HOSTS").And.Contain("not ok");
    }
}
