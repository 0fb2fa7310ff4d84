using System.Net.Http.Headers;

namespace CodeInterpreter.Api.Tests.Security;

/// <summary>With API_KEYS set, every endpoint but the probes (liveness, readiness) needs a key, and files stay with their key.</summary>
[TestFixture]
public sealed class ApiKeyTests
{
    private const string KeyA = "key-a-0123456789abcdef";
    private const string KeyB = "key-b-fedcba9876543210";

    private string _storage = null!;
    private ApiFactory _factory = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _storage = Directory.CreateTempSubdirectory("ci-keys-").FullName;
        _factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["API_KEYS"] = $"{KeyA},{KeyB}",
            ["FILE_STORAGE_DIR"] = _storage,
            ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _factory.DisposeAsync();
        Directory.Delete(_storage, recursive: true);
    }

    private HttpClient ClientWith(string? key)
    {
        var client = _factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    [TestCase(null)]
    [TestCase("wrong-key-0123456789")]
    [TestCase(KeyA + "x")]
    public async Task Without_a_valid_key_every_endpoint_but_the_probes_answers_401(string? key)
    {
        using var client = ClientWith(key);

        foreach (var path in new[] { "/v1/files", "/v1/executions/exec-x", "/docs", "/openapi/v1.json", "/metrics" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            ((int)response.StatusCode).Should().Be(401, path);
            response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        }

        var (status, body) = await client.PostExecuteAsync(new { code = "print(1)" });
        status.Should().Be(401);
        body.GetProperty("detail").GetString().Should().Contain("API key");
        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
        ((int)health.StatusCode).Should().Be(200, "liveness needs no key");
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        ((int)ready.StatusCode).Should().Be(503, "readiness needs no key either: this service's image is missing, so it answers, and answers not ready");
        (await ready.ReadJsonAsync()).GetProperty("detail").GetString().Should().StartWith("The service is not ready");
    }

    [Test]
    public async Task The_right_key_is_let_through()
    {
        using var client = ClientWith(KeyB);

        using var response = await client.GetAsync(new Uri("/v1/files", UriKind.Relative));

        ((int)response.StatusCode).Should().Be(200);
    }

    [Test]
    public async Task Another_key_can_neither_see_read_delete_nor_stage_a_file_it_did_not_upload()
    {
        using var owner = ClientWith(KeyA);
        using var other = ClientWith(KeyB);
        var id = await owner.UploadFileAsync("secret"u8.ToArray(), "secret.txt");

        using var read = await other.GetAsync(new Uri($"/v1/files/{id}", UriKind.Relative));
        using var delete = await other.DeleteAsync(new Uri($"/v1/files/{id}", UriKind.Relative));
        var othersList = await (await other.GetAsync(new Uri("/v1/files", UriKind.Relative))).ReadJsonAsync();
        var (stageStatus, stage) = await other.PostExecuteAsync(new { code = "print(open('s.txt').read())", files = new[] { new { path = "s.txt", file_id = id } } });

        ((int)read.StatusCode).Should().Be(404);
        ((int)delete.StatusCode).Should().Be(404);
        othersList.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("file_id").GetString()).Should().NotContain(id);
        stageStatus.Should().Be(404);
        stage.GetProperty("detail").GetString().Should().Contain("not found");
        (await owner.DownloadFileAsync(id)).Should().Equal("secret"u8.ToArray(), "the owner still has it, untouched");
        var ownersList = await (await owner.GetAsync(new Uri("/v1/files", UriKind.Relative))).ReadJsonAsync();
        ownersList.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("file_id").GetString()).Should().Contain(id);
    }
}
