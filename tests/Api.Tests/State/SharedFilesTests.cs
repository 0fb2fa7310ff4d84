using System.Security.Cryptography;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// Files with DATABASE_URL set: every service on the database sees every file. Two services in one
/// process here (each its own host, pool and store); the real two-process run is the replicas test.
/// </summary>
[TestFixture]
public sealed class SharedFilesTests
{
    [Test]
    public async Task A_file_uploaded_through_one_service_is_listed_downloaded_and_deleted_through_another()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var first = Service(schema);
        await using var second = Service(schema);
        using var one = first.CreateClient();
        using var other = second.CreateClient();
        var bytes = RandomNumberGenerator.GetBytes(700_001);

        var fileId = await one.UploadFileAsync(bytes, "shared.bin");
        var inDatabase = await schema.ScalarAsync($"SELECT size_bytes FROM files WHERE file_id = '{fileId}'");
        var downloaded = await other.DownloadFileAsync(fileId);
        using var listed = await other.GetAsync(new Uri("/v1/files", UriKind.Relative));
        var listing = await listed.ReadJsonAsync();
        using var deleted = await other.DeleteAsync(new Uri($"/v1/files/{fileId}", UriKind.Relative));
        using var afterDelete = await one.GetAsync(new Uri($"/v1/files/{fileId}", UriKind.Relative));

        inDatabase.Should().Be((long)bytes.Length, "the file is kept in PostgreSQL, not on either service's disk");
        downloaded.Should().Equal(bytes);
        listing.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("file_id").GetString()).Should().Equal(fileId);
        ((int)deleted.StatusCode).Should().Be(204);
        ((int)afterDelete.StatusCode).Should().Be(404);
        (await schema.ScalarAsync("SELECT count(*) FROM file_chunks")).Should().Be(0L);
    }

    [Test]
    public async Task An_upload_over_MAX_FILE_SIZE_MB_is_refused_with_413_and_leaves_no_file()
    {
        await using var schema = await TestSchema.CreateAsync();
        await using var service = Service(schema, new() { ["MAX_FILE_SIZE_MB"] = "1" });
        using var client = service.CreateClient();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[(1024 * 1024) + 1]), "file", "big.bin" } };

        using var response = await client.PostAsync(new Uri("/v1/files", UriKind.Relative), form);

        ((int)response.StatusCode).Should().Be(413);
        (await schema.ScalarAsync("SELECT count(*) FROM files")).Should().Be(0L);
        (await schema.ScalarAsync("SELECT count(*) FROM file_chunks")).Should().Be(0L);
    }

    [Test]
    public async Task While_the_database_is_unreachable_readiness_is_503_naming_it_and_files_are_refused_with_503()
    {
        await using var service = new ApiFactory(new Dictionary<string, string?>
        {
            // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
            ["DATABASE_URL"] = "postgres://app:hunter2-secret@127.0.0.1:9/state",
        });
        using var client = service.CreateClient();

        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var readyBody = await ready.ReadJsonAsync();
        using var upload = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "a.txt" } };
        using var uploaded = await client.PostAsync(new Uri("/v1/files", UriKind.Relative), upload);
        var uploadBody = await uploaded.ReadJsonAsync();

        ((int)ready.StatusCode).Should().Be(503);
        readyBody.GetProperty("detail").GetString().Should().Contain("the database (PostgreSQL at 127.0.0.1:9/state)");
        ((int)uploaded.StatusCode).Should().Be(503);
        uploaded.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        uploadBody.GetProperty("detail").GetString().Should().Contain("PostgreSQL at 127.0.0.1:9/state");
        (readyBody.ToString() + uploadBody).Should().NotContain("hunter2");
    }

    private static ApiFactory Service(TestSchema schema, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = schema.ConnectionString,
            // No sandbox is needed: a missing image keeps the engine out of it.
            ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return new ApiFactory(settings);
    }
}
