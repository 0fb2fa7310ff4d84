using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Health;

[TestFixture]
public sealed partial class HealthEndpointTests
{
    [GeneratedRegex(@"^\d+\.\d+\.\d+$")]
    private static partial Regex Semver();

    [Test]
    public async Task Health_is_ok_with_a_semver_version_once_ready()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory();
        using var client = await factory.CreateReadyClientAsync();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(200);
        body.GetProperty("status").GetString().Should().Be("ok");
        body.GetProperty("version").GetString().Should().MatchRegex(Semver());
        new Version(body.GetProperty("version").GetString()!).Should().BeGreaterThanOrEqualTo(new Version(1, 0, 0));
    }

    // Under runsc the code sees gVisor's kernel, not this host's: that is how the test knows where it ran.
    [TestCase("runc")]
    [TestCase("runsc")]
    public async Task The_probes_name_the_runtime_and_code_runs_under_it(string runtime)
    {
        await RealEngine.RequireAsync();
        await RealEngine.RequireRuntimeAsync(runtime);
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["EXECUTOR_RUNTIME"] = runtime, ["POOL_SIZE"] = "1", ["SANDBOX_PRELOAD"] = "" });
        using var client = await factory.CreateReadyClientAsync();

        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
        (await health.ReadJsonAsync()).GetProperty("runtime").GetString().Should().Be(runtime);
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        (await ready.ReadJsonAsync()).GetProperty("runtime").GetString().Should().Be(runtime);

        using var response = await client.PostAsJsonAsync("/v1/execute", new { code = "import os\nprint(os.uname().release)" });
        var body = await response.ReadJsonAsync();
        ((int)response.StatusCode).Should().Be(200, body.ToString());
        var sandboxKernel = body.GetProperty("stdout").GetString()!.Trim();
        var hostKernel = (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease")).Trim();
        if (runtime == "runsc")
        {
            sandboxKernel.Should().NotBe(hostKernel, "gVisor answers system calls with its own kernel");
        }
        else
        {
            sandboxKernel.Should().Be(hostKernel);
        }
    }

    [Test]
    public async Task Readiness_reports_what_the_warm_pool_holds()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["POOL_SIZE"] = "2", ["SANDBOX_PRELOAD"] = "" });
        using var client = await factory.CreateReadyClientAsync();

        async Task<System.Text.Json.JsonElement> PoolAsync()
        {
            using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            ((int)response.StatusCode).Should().Be(200);
            return (await response.ReadJsonAsync()).GetProperty("pool");
        }

        (await RealEngine.EventuallyAsync(async () => (await PoolAsync()).GetProperty("ready").GetInt32() == 2, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the pool fills up to POOL_SIZE and says so");
        var pool = await PoolAsync();
        pool.GetProperty("size").GetInt32().Should().Be(2);
        pool.GetProperty("booted").GetInt32().Should().Be(0);
        pool.GetProperty("starting").GetInt32().Should().Be(0);
        pool.GetProperty("waiting_requests").GetInt32().Should().Be(0);
    }

    [Test]
    public async Task Without_the_executor_image_the_service_is_not_ready_and_refuses_executions_with_503()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
        });
        using var client = factory.CreateClient();

        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
        var (status, body, execute) = await client.PostRawExecuteAsync("{\"code\": \"print(1)\"}");

        ((int)ready.StatusCode).Should().Be(503);
        ready.Headers.RetryAfter.Should().NotBeNull();
        ((int)health.StatusCode).Should().Be(200, "liveness always answers 200");
        var healthBody = await health.ReadJsonAsync();
        healthBody.GetProperty("status").GetString().Should().Be("error");
        healthBody.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        status.Should().Be(503);
        body.GetProperty("detail").GetString().Should().Contain("not ready");
        execute.Headers.RetryAfter.Should().NotBeNull();
    }

    [Test]
    public async Task The_openapi_document_and_docs_ui_are_served()
    {
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none" });
        using var client = factory.CreateClient();

        var document = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var docs = await client.GetAsync(new Uri("/docs", UriKind.Relative));

        document.Should().Contain("/v1/execute").And.Contain("timeout_ms").And.Contain("last_line_interactive");
        ((int)docs.StatusCode).Should().BeOneOf(200, 301, 302);
    }
}
