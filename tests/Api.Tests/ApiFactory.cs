using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Api.Tests;

/// <summary>The whole HTTP pipeline in-process, on the real engine, with its own sandbox label.</summary>
internal sealed class ApiFactory(IReadOnlyDictionary<string, string?>? overrides = null) : WebApplicationFactory<Program>
{
    // The minimal-hosting factory finds "its" host through a process-wide hook while Program.Main
    // runs; two hosts starting at once can be handed to the wrong factory (which then disposes the
    // other's services). Starting one at a time keeps each factory with its own host.
    private static readonly Lock StartGate = new();

    public string Instance { get; } = $"api-tests-{Guid.NewGuid():N}"[..22];

    protected override IHost CreateHost(IHostBuilder builder)
    {
        lock (StartGate)
        {
            return base.CreateHost(builder);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EXECUTOR_IMAGE"] = RealEngine.ExecutorImage,
            ["DOCKER_HOST"] = RealEngine.DockerHost,
            ["SANDBOX_INSTANCE"] = Instance,
            ["LOG_LEVEL"] = "WARNING",
            // Several factories run at once on two cores: one warm sandbox each is plenty.
            ["POOL_SIZE"] = "1",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(settings));
    }

    /// <summary>Polls the readiness endpoint until it answers 200 or the deadline passes.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient();
        var ready = await RealEngine.EventuallyAsync(
            async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60));
        Assert.That(ready, Is.True, "the service did not become ready within 60 s");
        return client;
    }
}

internal static class HttpClientExtensions
{
    private static readonly Uri Execute = new("/v1/execute", UriKind.Relative);

    public static async Task<(int Status, JsonElement Body)> PostExecuteAsync(this HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync(Execute, request);
        return ((int)response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostRawExecuteAsync(this HttpClient client, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(Execute, content);
        return ((int)response.StatusCode, await ReadJsonAsync(response), response);
    }

    /// <summary>Uploads <paramref name="bytes"/> as <paramref name="fileName"/>; returns the new file id.</summary>
    public static async Task<string> UploadFileAsync(this HttpClient client, byte[] bytes, string fileName)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        using var response = await client.PostAsync(new Uri("/v1/files", UriKind.Relative), form);
        ((int)response.StatusCode).Should().Be(201);
        return (await response.ReadJsonAsync()).GetProperty("file_id").GetString()!;
    }

    public static async Task<byte[]> DownloadFileAsync(this HttpClient client, string fileId) =>
        await client.GetByteArrayAsync(new Uri($"/v1/files/{fileId}", UriKind.Relative));

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
