using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using Generated = CodeInterpreter.Client;

namespace CodeInterpreter.EndToEnd.Tests.Client;

// The tests talk to the service through the NSwag-generated client (src/Client); this facade only
// adapts it to the few calls the deployment scenarios make and to connections over a unix socket.

/// <summary>Calls the service over HTTP, on a TCP port or a unix socket, with the generated client.</summary>
internal sealed class CodeInterpreterClient(HttpClient http)
{
    private readonly Generated.ExecutionsClient _executions = new(http);
    private readonly Generated.FilesClient _files = new(http);
    private readonly Generated.HealthClient _health = new(http);

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
        var ready = await CallAsync(() => _health.ReadyAsync(cancellationToken));
        return new ReadinessResponse(ready.Status);
    }

    /// <summary>POST /v1/files (multipart field <c>file</c>).</summary>
    public async Task<UploadFileResponse> UploadFileAsync(string fileName, byte[] content, CancellationToken cancellationToken = default)
    {
        using var data = new MemoryStream(content, writable: false);
        var stored = await CallAsync(() => _files.UploadAsync(new Generated.FileParameter(data, fileName, "application/octet-stream"), cancellationToken));
        return new UploadFileResponse(stored.FileId, stored.Filename, stored.SizeBytes);
    }

    /// <summary>GET /v1/files/{file_id}: the bytes.</summary>
    public async Task<byte[]> DownloadFileAsync(string fileId, CancellationToken cancellationToken = default)
    {
        using var file = await CallAsync(() => _files.DownloadAsync(fileId, cancellationToken));
        using var bytes = new MemoryStream();
        await file.Stream.CopyToAsync(bytes, cancellationToken);
        return bytes.ToArray();
    }

    /// <summary>POST /v1/execute.</summary>
    public async Task<ExecuteResponse> ExecuteAsync(ExecuteRequest request, CancellationToken cancellationToken = default)
    {
        var result = await CallAsync(() => _executions.ExecuteAsync(
            new Generated.ExecuteRequest
            {
                Code = request.Code,
                TimeoutMs = request.TimeoutMs,
                Files = [.. request.Files.Select(f => new Generated.ExecuteFileReference { Path = f.Path, FileId = f.FileId })],
            },
            cancellationToken));
        return new ExecuteResponse(
            result.Stdout, result.Stderr, result.ExitCode, result.TimedOut,
            [.. result.Files.Select(f => new WorkspaceFile(f.Path, f.Kind, f.FileId, f.SizeBytes))]);
    }

    /// <summary>The generated client's failures, as the scenarios inspect them (status and headers).</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Generated.ApiException ex)
        {
            using var carrier = new HttpResponseMessage();
            foreach (var (name, values) in ex.Headers)
            {
                carrier.Headers.TryAddWithoutValidation(name, values);
            }

            throw new ApiException($"HTTP {ex.StatusCode}: {ex.Response}", (HttpStatusCode)ex.StatusCode, ex.Response ?? "", carrier.Headers);
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
