using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>Errors under /api/v1 come in python-executor's <c>{"error"}</c> shape; elsewhere they stay problem details.</summary>
[TestFixture]
public sealed class PyExecErrorShapeTests
{
    private const string Key = "key-pyexec-0123456789";

    private ApiFactory _factory = null!;

    [OneTimeSetUp]
    public void Start() => _factory = new ApiFactory(new Dictionary<string, string?>
    {
        ["API_KEYS"] = Key,
        // No sandbox is needed: the image is deliberately missing.
        ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task Without_a_key_api_v1_answers_401_with_an_error_field()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/v1/executions/exe_1", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await ShouldBeErrorBodyAsync(response, "API key");
    }

    [Test]
    public async Task An_unknown_route_under_api_v1_answers_404_with_an_error_field()
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        using var response = await client.GetAsync(new Uri("/api/v1/no-such-route", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await ShouldBeErrorBodyAsync(response, "Not Found");
    }

    [Test]
    public async Task Outside_api_v1_errors_stay_problem_details()
    {
        using var client = _factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/v1/files", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    private static async Task ShouldBeErrorBodyAsync(HttpResponseMessage response, string expected)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        body.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal("error");
        body.RootElement.GetProperty("error").GetString().Should().Contain(expected);
    }
}
