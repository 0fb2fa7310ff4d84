using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Tests.Shared;

/// <summary>
/// The real Docker engine and executor image the integration tests run against. Missing either is a
/// failure in CI (CI=true) and a skip elsewhere, never a silent pass.
/// </summary>
internal static class RealEngine
{
    public static string DockerHost =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public static string ExecutorImage =>
        Environment.GetEnvironmentVariable("EXECUTOR_IMAGE") is { Length: > 0 } image ? image : "code-interpreter-executor:latest";

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static IDockerClient CreateClient() =>
        new DockerClientBuilder().WithEndpoint(new Uri(DockerHost)).WithTimeout(Timeout.InfiniteTimeSpan).Build();

    /// <summary>Fails (CI) or skips (elsewhere) unless the engine answers and the executor image exists.</summary>
    public static async Task RequireAsync()
    {
        string? problem = null;
        try
        {
            using var client = CreateClient();
            await client.System.PingAsync();
            await client.Images.InspectImageAsync(ExecutorImage);
        }
        catch (DockerImageNotFoundException)
        {
            problem = $"the executor image {ExecutorImage} is missing (run ./test.sh, which builds it)";
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            problem = $"no Docker engine answers at {DockerHost}: {ex.Message}";
        }

        if (problem is null)
        {
            return;
        }

        if (InCi)
        {
            Assert.Fail($"CI=true and {problem}");
        }

        Assert.Ignore(problem);
    }

    /// <summary>
    /// The engine knows <paramref name="runtime"/> (runc always; runsc once <c>ensure_runsc</c> of
    /// scripts/setup.sh registered it, as test.sh does). Missing: fails in CI, ignored elsewhere.
    /// </summary>
    public static async Task RequireRuntimeAsync(string runtime)
    {
        using var client = CreateClient();
        var info = await client.System.GetSystemInfoAsync();
        if (info.Runtimes?.ContainsKey(runtime) == true)
        {
            return;
        }

        var problem = $"the Docker engine at {DockerHost} has no runtime '{runtime}' (test.sh registers runsc with scripts/setup.sh's ensure_runsc)";
        if (InCi)
        {
            Assert.Fail($"CI=true and {problem}");
        }

        Assert.Ignore(problem);
    }

    /// <summary>
    /// Sandbox containers of one service instance, in any state; with <paramref name="coldOnly"/>,
    /// only those started for one execution (labelled with its id), not the pool's (labelled "pool",
    /// parked or handed to a request).
    /// </summary>
    public static async Task<int> CountSandboxesAsync(string instance, bool coldOnly = false)
    {
        using var client = CreateClient();
        var containers = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={instance}"] = true },
            },
        });
        return coldOnly
            ? containers.Count(c => !c.Labels.TryGetValue("code-interpreter.execution-id", out var id) || id != "pool")
            : containers.Count;
    }

    /// <summary>
    /// Python that prints the id of the container it runs in (Docker bind-mounts the container's
    /// hostname file from a folder named after it), so a test can follow that very sandbox.
    /// </summary>
    public const string PrintOwnContainerId =
        "import re\nprint(re.search(r'containers/([0-9a-f]{64})/hostname', open('/proc/self/mountinfo').read()).group(1), flush=True)\n";

    /// <summary>Whether a container with this id still exists (in any state).</summary>
    public static async Task<bool> ContainerExistsAsync(string id)
    {
        using var client = CreateClient();
        try
        {
            await client.Containers.InspectContainerAsync(id);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The engine's default bridge gateway: an address of this machine a sandbox must not reach.</summary>
    public static async Task<string> BridgeGatewayAsync()
    {
        using var client = CreateClient();
        var bridge = await client.Networks.InspectNetworkAsync("bridge");
        var config = bridge.IPAM.Config.First();
        if (!string.IsNullOrEmpty(config.Gateway))
        {
            return config.Gateway;
        }

        // Older engines leave Gateway empty: the bridge then takes the subnet's first address.
        var subnet = System.Net.IPNetwork.Parse(config.Subnet);
        var bytes = subnet.BaseAddress.GetAddressBytes();
        bytes[^1] += 1;
        return new System.Net.IPAddress(bytes).ToString();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }
    }
}
