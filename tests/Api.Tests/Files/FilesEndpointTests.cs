using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace CodeInterpreter.Api.Tests.Files;

/// <summary>
/// The /v1/files endpoints through the HTTP pipeline. They need no Docker engine: the executor image is
/// deliberately missing, so no sandbox is ever started.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class FilesEndpointTests
{
    private static readonly Uri Files = new("/v1/files", UriKind.Relative);

    private readonly List<string> _directories = [];
    private ApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _factory = CreateFactory(NewStorageDir(), maxFileSizeMb: 10);
        _client = _factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private string NewStorageDir()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"files-endpoint-tests-{Guid.NewGuid():N}");
        lock (_directories)
        {
            _directories.Add(directory);
        }

        return directory;
    }

    private static ApiFactory CreateFactory(string storageDir, int maxFileSizeMb) => new(new Dictionary<string, string?>
    {
        ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
        ["FILE_STORAGE_DIR"] = storageDir,
        ["MAX_FILE_SIZE_MB"] = maxFileSizeMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private static Uri FileUri(string fileId) => new($"/v1/files/{fileId}", UriKind.Relative);

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> UploadAsync(
        HttpClient client, byte[] bytes, string fileName, string field = "file", bool chunked = false)
    {
        using var form = new MultipartFormDataContent();
        // A stream of unknown length makes the whole body chunked: no Content-Length to judge it by.
        HttpContent content = chunked ? new StreamContent(new UnknownLengthStream(bytes)) : new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, field, fileName);
        var response = await client.PostAsync(Files, form);
        return (response, await response.ReadJsonAsync());
    }

    private static void ShouldBeProblem(HttpResponseMessage response, JsonElement body, int expectedStatus, string detailContains)
    {
        ((int)response.StatusCode).Should().Be(expectedStatus);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        body.GetProperty("status").GetInt32().Should().Be(expectedStatus);
        body.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        body.GetProperty("detail").GetString().Should().Contain(detailContains);
    }

    [Test]
    public async Task Upload_answers_201_with_the_reference_shape()
    {
        var bytes = RandomNumberGenerator.GetBytes(1234);

        var (response, body) = await UploadAsync(_client, bytes, "report.csv");

        ((int)response.StatusCode).Should().Be(201);
        body.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("file_id", "filename", "size_bytes");
        body.GetProperty("file_id").GetString().Should().MatchRegex("^[0-9a-f]{32}$");
        body.GetProperty("filename").GetString().Should().Be("report.csv");
        body.GetProperty("size_bytes").GetInt64().Should().Be(1234);
        response.Headers.Location!.ToString().Should().EndWith($"/v1/files/{body.GetProperty("file_id").GetString()}");
    }

    [Test]
    public async Task List_contains_the_uploaded_file_with_a_float_upload_time()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var (_, uploaded) = await UploadAsync(_client, [1, 2, 3], "listed.txt");
        var fileId = uploaded.GetProperty("file_id").GetString();

        using var response = await _client.GetAsync(Files);
        var body = await response.ReadJsonAsync();

        ((int)response.StatusCode).Should().Be(200);
        var entry = body.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("file_id").GetString() == fileId);
        entry.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo("file_id", "filename", "size_bytes", "upload_time");
        entry.GetProperty("filename").GetString().Should().Be("listed.txt");
        entry.GetProperty("size_bytes").GetInt64().Should().Be(3);
        entry.GetProperty("upload_time").ValueKind.Should().Be(JsonValueKind.Number);
        entry.GetProperty("upload_time").GetDouble().Should().BeInRange(before - 1, before + 60);
    }

    [TestCase(1)]
    [TestCase(65_537)]
    [TestCase(5 * 1024 * 1024)]
    public async Task Download_returns_the_exact_bytes_as_an_attachment(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var (_, uploaded) = await UploadAsync(_client, bytes, "data.bin");

        using var response = await _client.GetAsync(FileUri(uploaded.GetProperty("file_id").GetString()!));
        var downloaded = await response.Content.ReadAsByteArrayAsync();

        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        response.Content.Headers.ContentDisposition!.DispositionType.Should().Be("attachment");
        response.Content.Headers.ContentDisposition.FileName.Should().Be("data.bin");
        downloaded.Should().Equal(bytes);
    }

    [Test]
    public async Task A_non_ascii_file_name_survives_the_round_trip()
    {
        var (_, uploaded) = await UploadAsync(_client, [42], "données été.txt");

        using var response = await _client.GetAsync(FileUri(uploaded.GetProperty("file_id").GetString()!));

        uploaded.GetProperty("filename").GetString().Should().Be("données été.txt");
        response.Content.Headers.ContentDisposition!.FileNameStar.Should().Be("données été.txt");
    }

    [Test]
    public async Task Delete_answers_204_and_the_file_is_then_not_found()
    {
        var (_, uploaded) = await UploadAsync(_client, [1], "doomed.txt");
        var fileId = uploaded.GetProperty("file_id").GetString()!;

        using var deleted = await _client.DeleteAsync(FileUri(fileId));
        using var download = await _client.GetAsync(FileUri(fileId));
        var body = await download.ReadJsonAsync();

        ((int)deleted.StatusCode).Should().Be(204);
        ShouldBeProblem(download, body, 404, "not found");
        body.GetProperty("detail").GetString().Should().Be($"File with ID '{fileId}' not found");
    }

    [TestCase("0123456789abcdef0123456789abcdef")]
    [TestCase("not-a-file-id")]
    [TestCase("..%2F..%2Fetc%2Fpasswd")]
    public async Task Unknown_ids_answer_404_problem_details(string fileId)
    {
        using var download = await _client.GetAsync(FileUri(fileId));
        using var delete = await _client.DeleteAsync(FileUri(fileId));

        ShouldBeProblem(download, await download.ReadJsonAsync(), 404, "not found");
        ShouldBeProblem(delete, await delete.ReadJsonAsync(), 404, "not found");
    }

    [Test]
    public async Task Delete_of_an_unknown_id_answers_404_in_the_reference_words()
    {
        using var response = await _client.DeleteAsync(FileUri("ffffffffffffffffffffffffffffffff"));
        var body = await response.ReadJsonAsync();

        ShouldBeProblem(response, body, 404, "not found");
        body.GetProperty("detail").GetString().Should().Be("File with ID 'ffffffffffffffffffffffffffffffff' not found");
    }

    [Test]
    public async Task A_request_without_the_file_field_answers_422()
    {
        var (response, body) = await UploadAsync(_client, [1, 2, 3], "x.txt", field: "attachment");

        ShouldBeProblem(response, body, 422, "file");
        body.GetProperty("errors").GetProperty("file").EnumerateArray().Should().NotBeEmpty();
    }

    [Test]
    public async Task A_body_that_is_not_multipart_answers_422()
    {
        using var json = new StringContent("{\"file\": \"abc\"}", System.Text.Encoding.UTF8, "application/json");

        using var response = await _client.PostAsync(Files, json);

        ShouldBeProblem(response, await response.ReadJsonAsync(), 422, "file");
    }

    [Test]
    public async Task A_multipart_body_cut_off_before_its_end_answers_400()
    {
        const string boundary = "cut-off-boundary";
        using var content = new StringContent(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\npartial content without the closing boundary");
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");

        using var response = await _client.PostAsync(Files, content);

        ShouldBeProblem(response, await response.ReadJsonAsync(), 400, "malformed");
    }

    // 2 MB declares a body beyond any acceptable upload (refused before reading); 1.5 MB and the
    // chunked upload (no declared length) are refused while the file streams in.
    [TestCase(2 * 1024 * 1024, false)]
    [TestCase(1536 * 1024, false)]
    [TestCase(2 * 1024 * 1024, true)]
    public async Task An_upload_over_the_limit_answers_413_in_the_reference_words_and_stores_nothing(int size, bool chunked)
    {
        var storageDir = NewStorageDir();
        await using var factory = CreateFactory(storageDir, maxFileSizeMb: 1);
        using var client = factory.CreateClient();

        var (response, body) = await UploadAsync(client, RandomNumberGenerator.GetBytes(size), "too-big.bin", chunked: chunked);
        using var list = await client.GetAsync(Files);

        ShouldBeProblem(response, body, 413, "File size exceeds maximum of 1 MB");
        body.GetProperty("detail").GetString().Should().Be("File size exceeds maximum of 1 MB");
        (await list.ReadJsonAsync()).GetProperty("files").GetArrayLength().Should().Be(0);
        Directory.EnumerateFileSystemEntries(storageDir).Should().BeEmpty();
    }

    [Test]
    public async Task An_upload_of_exactly_the_limit_is_accepted()
    {
        await using var factory = CreateFactory(NewStorageDir(), maxFileSizeMb: 1);
        using var client = factory.CreateClient();

        var (response, body) = await UploadAsync(client, new byte[1024 * 1024], "exact.bin");

        ((int)response.StatusCode).Should().Be(201);
        body.GetProperty("size_bytes").GetInt64().Should().Be(1024 * 1024);
    }

    [Test]
    public async Task A_restarted_service_over_the_same_directory_still_lists_and_serves_the_file()
    {
        var storageDir = NewStorageDir();
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        string fileId;
        await using (var first = CreateFactory(storageDir, maxFileSizeMb: 1))
        {
            using var client = first.CreateClient();
            var (_, uploaded) = await UploadAsync(client, bytes, "survivor.bin");
            fileId = uploaded.GetProperty("file_id").GetString()!;
        }

        await using var second = CreateFactory(storageDir, maxFileSizeMb: 1);
        using var restarted = second.CreateClient();
        using var list = await restarted.GetAsync(Files);
        using var download = await restarted.GetAsync(FileUri(fileId));

        (await list.ReadJsonAsync()).GetProperty("files").EnumerateArray()
            .Select(f => f.GetProperty("file_id").GetString()).Should().Contain(fileId);
        (await download.Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    [Test]
    public async Task The_openapi_document_describes_the_multipart_upload()
    {
        var document = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;

        var upload = document.GetProperty("paths").GetProperty("/v1/files").GetProperty("post");
        var schema = upload.GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");

        schema.GetProperty("properties").GetProperty("file").GetProperty("format").GetString().Should().Be("binary");
        upload.GetProperty("responses").TryGetProperty("413", out _).Should().BeTrue();
    }

    /// <summary>Bytes behind a stream that cannot tell its length.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
