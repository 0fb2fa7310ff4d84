using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary>
/// A server whose package source is a PEP 503 index (PACKAGE_INDEX_URL) served by this test on the engine's bridge
/// gateway: only the builder reaches it, over a network limited to it; sandboxes stay without a network.
/// </summary>
[NonParallelizable]
public sealed class IndexEnvironmentsTests
{
    [Test]
    public async Task A_requirement_is_built_from_the_index_and_the_code_still_has_only_loopback()
    {
        await RealEngine.RequireAsync();
        using var wheelhouse = TestWheelhouse.Create();
        using var index = TestPackageIndex.Start(wheelhouse.Path, await RealEngine.BridgeGatewayAsync());
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["PACKAGE_INDEX_URL"] = index.Url,
            ["PACKAGE_TRUSTED_HOST"] = index.Host,
        });
        using var client = await factory.CreateReadyClientAsync();

        var (status, body) = await client.PostExecuteAsync(new
        {
            code = "import socket, ci_alpha\nprint(ci_alpha.VALUE)\nprint(sorted(n for _, n in socket.if_nameindex()))",
            requirements = new[] { "ci-alpha" },
            timeout_ms = 20_000,
        });

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("alpha+beta\n['lo']\n");
        index.Requests.Should().Contain("/simple/ci-alpha/").And.Contain("/simple/ci-beta/")
            .And.Contain("/files/ci_alpha-1.0.0-py3-none-any.whl");
        await DeleteEnvironmentsAsync(client);
    }

    private static async Task DeleteEnvironmentsAsync(HttpClient client)
    {
        using var listed = await client.GetAsync(new Uri("/v1/environments", UriKind.Relative));
        foreach (var environment in (await listed.ReadJsonAsync()).GetProperty("environments").EnumerateArray())
        {
            var uri = new Uri($"/v1/environments/{environment.GetProperty("hash").GetString()}", UriKind.Relative);
            await RealEngine.EventuallyAsync(async () =>
            {
                using var response = await client.DeleteAsync(uri);
                return (int)response.StatusCode is 204 or 404;
            }, TimeSpan.FromSeconds(30));
        }
    }
}
