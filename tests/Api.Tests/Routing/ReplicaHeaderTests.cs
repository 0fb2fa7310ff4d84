using System.Net.Http.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Routing;

/// <summary>Every response names the replica that answered (<c>X-Replica</c>): successes, errors and probes alike.</summary>
[TestFixture]
public sealed class ReplicaHeaderTests
{
    [Test]
    public async Task Every_response_carries_X_Replica_with_REPLICA_ID()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["REPLICA_ID"] = "replica-7", ["POOL_SIZE"] = "1" });
        using var client = await factory.CreateReadyClientAsync();

        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
        using var executed = await client.PostAsJsonAsync(new Uri("/v1/execute", UriKind.Relative), new { code = "print(1)" });
        using var unknownFile = await client.GetAsync(new Uri("/v1/files/no-such-file", UriKind.Relative));
        using var unknownSession = await client.PostAsJsonAsync(new Uri("/v1/sessions/code-session-none/execute", UriKind.Relative), new { code = "1" });
        using var invalid = await client.PostAsJsonAsync(new Uri("/v1/execute", UriKind.Relative), new { code = "" });

        foreach (var response in new[] { health, executed, unknownFile, unknownSession, invalid })
        {
            response.Headers.GetValues("X-Replica").Should().Equal(["replica-7"], $"{response.RequestMessage!.RequestUri} answered {(int)response.StatusCode}");
        }

        ((int)unknownSession.StatusCode).Should().Be(404, "a session nobody holds is served here, not forwarded");
    }

    [Test]
    public async Task Without_REPLICA_ID_the_host_name_answers()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["POOL_SIZE"] = "1" });
        using var client = await factory.CreateReadyClientAsync();

        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));

        health.Headers.GetValues("X-Replica").Should().Equal(Environment.MachineName);
    }
}
