namespace CodeInterpreter.Api.Tests.Quotas;

/// <summary>
/// FILE_STORE_MAX_MB (2) and FILE_STORE_MAX_MB_PER_KEY (1) of the embedded store, on the real service: uploads
/// refused 413 for the key's share and 507 for the whole store, and a generated file that does not fit dropped.
/// </summary>
[TestFixture]
public sealed class FileQuotaTests : RealEngineApiTests
{
    private readonly string _storage = Path.Combine(Path.GetTempPath(), $"file-quota-tests-{Guid.NewGuid():N}");
    private HttpClient _a = null!;
    private HttpClient _b = null!;
    private HttpClient _c = null!;

    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["API_KEYS"] = QuotaCalls.AllKeys,
        ["FILE_STORAGE_DIR"] = _storage,
        ["FILE_STORE_MAX_MB"] = "2",
        ["FILE_STORE_MAX_MB_PER_KEY"] = "1",
    };

    [OneTimeSetUp]
    public async Task ClientsAsync()
    {
        _a = await QuotaCalls.ReadyClientWithAsync(Factory, QuotaCalls.KeyA);
        _b = await QuotaCalls.ReadyClientWithAsync(Factory, QuotaCalls.KeyB);
        _c = await QuotaCalls.ReadyClientWithAsync(Factory, QuotaCalls.KeyC);
    }

    [OneTimeTearDown]
    public void RemoveStorage()
    {
        _a?.Dispose();
        _b?.Dispose();
        _c?.Dispose();
        if (Directory.Exists(_storage))
        {
            Directory.Delete(_storage, recursive: true);
        }
    }

    [TearDown]
    public async Task DeleteEveryFileAsync()
    {
        foreach (var client in new[] { _a, _b, _c })
        {
            using var listed = await client.GetAsync(new Uri("/v1/files", UriKind.Relative));
            foreach (var file in (await listed.ReadJsonAsync()).GetProperty("files").EnumerateArray())
            {
                using var _ = await client.DeleteAsync(new Uri($"/v1/files/{file.GetProperty("file_id").GetString()}", UriKind.Relative));
            }
        }
    }

    [Test]
    public async Task An_upload_over_the_keys_share_is_refused_413_naming_the_limit_while_another_key_still_uploads()
    {
        var (first, _, _) = await _a.UploadAsync(700_000);

        var (refused, problem, response) = await _a.UploadAsync(400_000);
        using (response)
        {
            var (others, _, _) = await _b.UploadAsync(700_000);
            using var listed = await _a.GetAsync(new Uri("/v1/files", UriKind.Relative));

            first.Should().Be(201);
            refused.Should().Be(413);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            problem.GetProperty("detail").GetString().Should().Contain("FILE_STORE_MAX_MB_PER_KEY = 1 MB").And.Contain("0.67 MB are stored under this key");
            others.Should().Be(201, "another key's share is its own");
            (await listed.ReadJsonAsync()).GetProperty("files").GetArrayLength().Should().Be(1, "nothing of the refused upload is kept");
        }
    }

    [Test]
    public async Task An_upload_that_does_not_fit_in_the_store_is_refused_507_naming_the_limit()
    {
        (await _a.UploadAsync(900_000)).Status.Should().Be(201);
        (await _b.UploadAsync(900_000)).Status.Should().Be(201);

        var (refused, problem, response) = await _c.UploadAsync(400_000);
        using (response)
        {
            refused.Should().Be(507);
            problem.GetProperty("title").GetString().Should().Be("File store full");
            problem.GetProperty("detail").GetString().Should().Contain("FILE_STORE_MAX_MB = 2 MB").And.Contain("1.72 MB are stored");
        }
    }

    [Test]
    public async Task A_generated_file_over_the_keys_share_is_dropped_with_the_limit_and_the_run_still_answers()
    {
        (await _a.UploadAsync(900_000)).Status.Should().Be(201);

        var (status, body) = await _a.PostExecuteAsync(new { code = "open('out.bin', 'wb').write(b'x' * 300_000)\nprint('done')" });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("done\n");
        body.GetProperty("files").EnumerateArray().Should().BeEmpty();
        var dropped = body.GetProperty("files_dropped").EnumerateArray().Single();
        dropped.GetProperty("path").GetString().Should().Be("out.bin");
        dropped.GetProperty("reason").GetString().Should().Contain("FILE_STORE_MAX_MB_PER_KEY");
    }

    [Test]
    public async Task A_deleted_file_gives_its_room_back()
    {
        var (_, kept, _) = await _a.UploadAsync(900_000);
        using (await _a.DeleteAsync(new Uri($"/v1/files/{kept.GetProperty("file_id").GetString()}", UriKind.Relative)))
        {
        }

        var (again, _, _) = await _a.UploadAsync(900_000);

        again.Should().Be(201);
    }
}
