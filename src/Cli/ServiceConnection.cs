using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using CodeInterpreter.Client;

namespace CodeInterpreter.Cli;

/// <summary>The service cin talks to: <c>--server</c>, else CODE_INTERPRETER_URL, else the local default.</summary>
internal sealed class ServiceConnection : IDisposable
{
    public const string UrlVariable = "CODE_INTERPRETER_URL";
    public const string ApiKeyVariable = "CODE_INTERPRETER_API_KEY";
    public const string DefaultUrl = "http://127.0.0.1:8000";

    private readonly HttpClient _http;

    public ServiceConnection(string? server, string? apiKey, CinEnvironment environment)
    {
        var url = server is { Length: > 0 } ? server
            : environment.GetVariable(UrlVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CinException(ExitCodes.UsageError, $"the server address '{url}' is not an http(s) URL");
        }

        // The generated clients resolve "v1/..." against the base address: it must end with '/'.
        BaseAddress = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        _http = environment.Handler is { } handler ? new HttpClient(handler, disposeHandler: false) : new HttpClient();
        _http.BaseAddress = BaseAddress;
        // A service with API_KEYS set wants "Authorization: Bearer <key>" on every call.
        if ((apiKey is { Length: > 0 } ? apiKey : environment.GetVariable(ApiKeyVariable)) is { Length: > 0 } key)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        // Executions are bounded by the server's MAX_EXEC_TIMEOUT_MS; this only stops waiting on a hung service.
        _http.Timeout = TimeSpan.FromMinutes(10);
        Executions = new ExecutionsClient(_http);
        Files = new FilesClient(_http);
    }

    public Uri BaseAddress { get; }

    public IExecutionsClient Executions { get; }

    public IFilesClient Files { get; }

    public void Dispose() => _http.Dispose();

    /// <summary>A sentence a person can act on for a failed call, or null when it is not a service failure.</summary>
    public string? Describe(Exception exception) => exception switch
    {
        ApiException<ValidationProblemDetails> { Result: { } problem } api => Problem(api.StatusCode, problem),
        ApiException<ProblemDetails> { Result: { } problem } api => Problem(api.StatusCode, problem),
        ApiException api when ParseProblem(api.Response) is { } problem => Problem(api.StatusCode, problem),
        ApiException api => $"the service answered {api.StatusCode}: {Shorten(api.Response)}",
        HttpRequestException { InnerException: SocketException or IOException } or HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
            => $"cannot reach the service at {BaseAddress}: {exception.Message}",
        HttpRequestException => $"the request to the service at {BaseAddress} failed: {exception.Message}",
        TaskCanceledException { InnerException: TimeoutException } => $"the service at {BaseAddress} did not answer within {_http.Timeout.TotalMinutes:0} minutes",
        _ => null,
    };

    private static string Problem(int status, ProblemDetails problem)
    {
        var reason = problem.Detail is { Length: > 0 } detail ? detail : problem.Title ?? "no details given";
        return $"the service refused the request ({status}): {reason}";
    }

    /// <summary>Problem details in an answer the OpenAPI document did not announce (a 401, a 429).</summary>
    private static ProblemDetails? ParseProblem(string? response)
    {
        try
        {
            return response is { Length: > 0 } && JsonSerializer.Deserialize<ProblemDetails>(response) is { Status: not null } problem
                ? problem
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "(no body)" : text.Length <= 300 ? text.Trim() : text[..300].Trim() + "...";
}
