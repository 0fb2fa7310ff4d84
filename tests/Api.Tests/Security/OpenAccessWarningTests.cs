using CodeInterpreter.Api.Security;

namespace CodeInterpreter.Api.Tests.Security;

/// <summary>Which listening addresses make an unauthenticated service reachable from other machines.</summary>
[TestFixture]
public sealed class OpenAccessWarningTests
{
    [TestCase("http://127.0.0.1:8000")]
    [TestCase("http://localhost:8000")]
    [TestCase("http://[::1]:8000")]
    [TestCase("http://127.0.0.2:8000")]
    public void Loopback_addresses_are_not_warned_about(string address) =>
        OpenAccessWarning.BeyondLoopback([address]).Should().BeEmpty();

    [TestCase("http://0.0.0.0:8000")]
    [TestCase("http://[::]:8000")]
    [TestCase("http://10.1.2.3:8000")]
    [TestCase("http://*:8000")]
    [TestCase("http://+:8000")]
    [TestCase("http://example.internal:8000")]
    public void Addresses_other_machines_can_reach_are_warned_about(string address) =>
        OpenAccessWarning.BeyondLoopback(["http://127.0.0.1:9000", address]).Should().Equal(address);
}
