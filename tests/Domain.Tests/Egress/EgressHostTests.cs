using CodeInterpreter.Domain.Egress;

namespace CodeInterpreter.Domain.Tests.Egress;

public sealed class EgressHostTests
{
    [TestCase("api.example.com", "api.example.com", null)]
    [TestCase("API.Example.com:443", "api.example.com", 443)]
    [TestCase("*.example.org", "*.example.org", null)]
    [TestCase("*.example.org:8443", "*.example.org", 8443)]
    [TestCase("localhost", "localhost", null)]
    [TestCase("10.1.2.3:80", "10.1.2.3", 80)]
    public void A_host_name_with_an_optional_wildcard_label_and_port_parses(string text, string host, int? port)
    {
        EgressHost.TryParse(text, allowAnyHost: false, out var entry, out var problem).Should().BeTrue(problem);

        entry.Host.Should().Be(host);
        entry.Port.Should().Be(port);
    }

    [TestCase("", "empty")]
    [TestCase("bad host", "not a host name")]
    [TestCase("a..b", "not a host name")]
    [TestCase("-a.example", "not a host name")]
    [TestCase("a.*.example", "not a host name")]
    [TestCase("**.example", "not a host name")]
    [TestCase("example.com:0", "port")]
    [TestCase("example.com:65536", "port")]
    [TestCase("example.com:http", "port")]
    [TestCase("[::1]:80", "IPv6")]
    [TestCase("fe80::1", "IPv6")]
    [TestCase("300.1.1.1", "not a host name")]
    [TestCase("*", "only the server")]
    public void Anything_else_is_refused_with_the_reason(string text, string reason)
    {
        EgressHost.TryParse(text, allowAnyHost: false, out _, out var problem).Should().BeFalse();

        problem.Should().Contain(reason);
    }

    [TestCase("*", "api.example.com", true)]
    [TestCase("*", "*.example.org:443", true)]
    [TestCase("*", "10.1.2.3", false)]
    [TestCase("10.1.2.3", "10.1.2.3", true)]
    [TestCase("*.example.org", "a.example.org", true)]
    [TestCase("*.example.org", "a.b.example.org", false)]
    [TestCase("*.example.org", "example.org", false)]
    [TestCase("*.example.org", "*.example.org:443", true)]
    [TestCase("*.example.org", "*.a.example.org", false)]
    [TestCase("api.example.com", "api.example.com:443", true)]
    [TestCase("api.example.com:443", "api.example.com", false)]
    [TestCase("api.example.com:443", "api.example.com:80", false)]
    [TestCase("api.example.com", "evilapi.example.com", false)]
    public void A_server_entry_covers_only_what_it_allows_itself(string server, string requested, bool covered)
    {
        EgressHost.TryParse(server, allowAnyHost: true, out var serverEntry, out _).Should().BeTrue();
        EgressHost.TryParse(requested, allowAnyHost: false, out var requestEntry, out _).Should().BeTrue();

        serverEntry.Covers(requestEntry).Should().Be(covered);
    }

    [TestCase("api.example.com", "api.example.com *")]
    [TestCase("*.example.org:443", "*.example.org 443")]
    public void The_proxy_rule_is_the_pattern_and_the_port(string text, string rule)
    {
        EgressHost.TryParse(text, allowAnyHost: false, out var entry, out _).Should().BeTrue();

        entry.ToProxyRule().Should().Be(rule);
    }
}
