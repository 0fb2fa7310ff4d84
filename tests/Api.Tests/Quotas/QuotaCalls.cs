using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Quotas;

/// <summary>The calls the quota tests make, as one API key or another.</summary>
internal static class QuotaCalls
{
    public const string KeyA = "quota-key-a-0123456789abcdef";
    public const string KeyB = "quota-key-b-0123456789abcdef";
    public const string KeyC = "quota-key-c-0123456789abcdef";

    public static readonly string AllKeys = $"{KeyA},{KeyB},{KeyC}";

    private static readonly Uri Executions = new("/v1/executions", UriKind.Relative);

    /// <summary>A client of <paramref name="factory"/>'s service sending <paramref name="key"/>, once the service is ready.</summary>
    public static async Task<HttpClient> ReadyClientWithAsync(ApiFactory factory, string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        (await RealEngine.EventuallyAsync(
                async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the service becomes ready");
        return client;
    }

    /// <summary>Uploads <paramref name="size"/> zero bytes; the status and the answer (the file or the problem).</summary>
    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> UploadAsync(this HttpClient client, int size)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(new byte[size]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", "zeros.bin");
        var response = await client.PostAsync(new Uri("/v1/files", UriKind.Relative), form);
        return ((int)response.StatusCode, await response.ReadJsonAsync(), response);
    }

    public static async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> SubmitAsync(this HttpClient client, object request)
    {
        var response = await client.PostAsJsonAsync(Executions, request);
        return ((int)response.StatusCode, await response.ReadJsonAsync(), response);
    }

    public static async Task<(int Status, JsonElement Body)> GetExecutionAsync(this HttpClient client, string id)
    {
        using var response = await client.GetAsync(new Uri($"/v1/executions/{Uri.EscapeDataString(id)}", UriKind.Relative));
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    public static async Task CancelExecutionAsync(this HttpClient client, string id)
    {
        using var response = await client.DeleteAsync(new Uri($"/v1/executions/{Uri.EscapeDataString(id)}", UriKind.Relative));
        ((int)response.StatusCode).Should().Be(200);
    }

    /// <summary>Polls the execution until <paramref name="done"/> holds of its status (60 s at most).</summary>
    public static async Task<JsonElement> PollUntilAsync(this HttpClient client, string id, Func<string, bool> done)
    {
        JsonElement last = default;
        var reached = await RealEngine.EventuallyAsync(async () =>
        {
            (_, last) = await client.GetExecutionAsync(id);
            return last.ValueKind == JsonValueKind.Object && done(last.GetProperty("status").GetString()!);
        }, TimeSpan.FromSeconds(60));
        reached.Should().BeTrue($"execution {id} should reach the expected status; last: {last}");
        return last;
    }
}
