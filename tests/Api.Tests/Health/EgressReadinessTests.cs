using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Health;

/// <summary>With restricted egress enabled, readiness includes the egress proxy.</summary>
public sealed class EgressReadinessTests
{
    [Test]
    public async Task Readiness_names_a_missing_egress_proxy_image_and_stays_503()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["ALLOW_NETWORK"] = "true",
            ["EGRESS_ALLOW_HOSTS"] = "*",
            ["EGRESS_PROXY_IMAGE"] = "code-interpreter-egress-proxy:missing-on-purpose",
        });
        using var client = factory.CreateClient();

        string body = "";
        var named = await RealEngine.EventuallyAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            body = await response.Content.ReadAsStringAsync();
            return (int)response.StatusCode == 503 && body.Contains("egress proxy image", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(60));

        named.Should().BeTrue(body);
        body.Should().Contain("missing-on-purpose");
    }
}
