using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace CodeInterpreter.EndToEnd.Tests.Client;

// Stand-in for the NSwag-generated client (src/Client does not exist yet): the same shape, a client
// class over an HttpClient, typed contracts, and ApiException for every non-success status. The tests
// only touch this file's types, so swapping in the generated client changes this file alone.

/// <summary>Calls the service over HTTP, on a TCP port or a unix socket.</summary>
internal sealed class CodeInterpreterClient(HttpClient http)
{
    /// <summary>A client for the service at <paramref name="baseAddress"/>.</summary>
    public static HttpClient CreateHttpClient(Uri baseAddress) =>
        new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>A client for the service listening on the unix socket at <paramref name="socketPath"/>.</summary>
    public static HttpClient CreateUnixSocketHttpClient(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>GET /health/ready: returns when ready, throws <see cref="ApiException"/> (503) when not.</summary>
    public async Task<ReadinessResponse> ReadyAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative), cancellationToken);
        return await ReadAsync<ReadinessResponse>(response, cancellationToken);
    }

    /// <summary>POST /v1/files (multipart field <c>file</c>).</summary>
    public async Task<UploadFileResponse> UploadFileAsync(string fileName, byte[] content, CancellationToken cancellationToken = default)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        using var response = await http.PostAsync(new Uri("v1/files", UriKind.Relative), form, cancellationToken);
        return await ReadAsync<UploadFileResponse>(response, cancellationToken);
    }

    /// <summary>GET /v1/files/{file_id}: the bytes.</summary>
    public async Task<byte[]> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri($"v1/files/{Uri.EscapeDataString(fileId)}", UriKind.Relative), cancellationToken);
        await ThrowUnlessSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>POST /v1/execute.</summary>
    public async Task<ExecuteResponse> ExecuteAsync(ExecuteRequest request, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync(new Uri("v1/execute", UriKind.Relative), request, cancellationToken);
        return await ReadAsync<ExecuteResponse>(response, cancellationToken);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await ThrowUnlessSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken)
               ?? throw new ApiException("the response body is empty", response.StatusCode, "", response.Headers);
    }

    private static async Task ThrowUnlessSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new ApiException($"HTTP {(int)response.StatusCode}: {body}", response.StatusCode, body, response.Headers);
        }
    }
}

/// <summary>A non-success answer, as the NSwag-generated client reports it.</summary>
internal sealed class ApiException(string message, HttpStatusCode statusCode, string response, HttpResponseHeaders headers)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public string Response { get; } = response;

    public HttpResponseHeaders Headers { get; } = headers;
}

internal sealed record ReadinessResponse([property: JsonPropertyName("status")] string Status);

internal sealed record UploadFileResponse(
    [property: JsonPropertyName("file_id")] string FileId,
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("size_bytes")] long SizeBytes);

internal sealed record ExecuteRequest(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("files")] IReadOnlyList<ExecuteFileReference> Files,
    [property: JsonPropertyName("timeout_ms")] int TimeoutMs);

internal sealed record ExecuteFileReference(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("file_id")] string FileId);

internal sealed record ExecuteResponse(
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("timed_out")] bool TimedOut,
    [property: JsonPropertyName("files")] IReadOnlyList<WorkspaceFile> Files);

internal sealed record WorkspaceFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("file_id")] string? FileId,
    [property: JsonPropertyName("size_bytes")] long? SizeBytes);
