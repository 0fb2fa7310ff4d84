using System.Net;
using System.Text;

namespace CodeInterpreter.Cli.Tests.Commands;

/// <summary>What cin sends for a service with API_KEYS, checked on a stub that records the request.</summary>
[TestFixture]
public sealed class ApiKeyTests
{
    private const string Server = "http://service.test/";

    [Test]
    public async Task Api_key_option_is_sent_as_a_bearer_token()
    {
        using var stub = new StubHandler(HttpStatusCode.OK, """{"files": []}""");

        var result = await CinRunner.RunAsync(["files", "ls", "--server", Server, "--api-key", "k-0123456789abcdef"], stub);

        result.ExitCode.Should().Be(0, result.Stderr);
        stub.Authorization.Should().Be("Bearer k-0123456789abcdef");
    }

    [Test]
    public async Task Api_key_comes_from_CODE_INTERPRETER_API_KEY_when_not_given()
    {
        using var stub = new StubHandler(HttpStatusCode.OK, """{"files": []}""");

        await CinRunner.RunAsync(["files", "ls", "--server", Server], stub,
            variables: new Dictionary<string, string> { ["CODE_INTERPRETER_API_KEY"] = "k-from-the-environment" });

        stub.Authorization.Should().Be("Bearer k-from-the-environment");
    }

    [Test]
    public async Task No_key_sends_no_authorization()
    {
        using var stub = new StubHandler(HttpStatusCode.OK, """{"files": []}""");

        await CinRunner.RunAsync(["files", "ls", "--server", Server], stub);

        stub.Authorization.Should().BeNull();
    }

    [Test]
    public async Task Refusal_the_document_does_not_announce_is_printed_with_its_detail()
    {
        using var stub = new StubHandler(HttpStatusCode.Unauthorized,
            """{"title": "Unauthorized", "status": 401, "detail": "Send Authorization: Bearer <key>."}""");

        var result = await CinRunner.RunAsync(["files", "ls", "--server", Server], stub);

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().Be($"cin: the service refused the request (401): Send Authorization: Bearer <key>.{Environment.NewLine}");
    }

    private sealed class StubHandler(HttpStatusCode status, string json) : HttpMessageHandler
    {
        public string? Authorization { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Authorization = request.Headers.Authorization?.ToString();
            return Task.FromResult(new HttpResponseMessage(status)
            {
                Content = new StringContent(json, Encoding.UTF8, "application/problem+json"),
            });
        }
    }
}
