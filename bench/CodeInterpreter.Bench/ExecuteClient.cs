using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CodeInterpreter.Bench;

/// <summary>Sends one workload to POST /v1/execute and judges the answer.</summary>
internal sealed class ExecuteClient(HttpClient http)
{
    // Generous, so a slow cold start under load shows up as latency, not as a failure.
    private const int CodeTimeoutMs = 30_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task<RequestOutcome> ExecuteAsync(Workload workload, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsJsonAsync(
                "/v1/execute", new ExecuteRequestBody(workload.Code, CodeTimeoutMs), Json, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            // End-to-end: stopped once the whole body is in, before the client spends time parsing it.
            var latency = stopwatch.Elapsed;
            return new RequestOutcome(latency, Judge(workload, response.StatusCode, body));
        }
        catch (HttpRequestException ex)
        {
            return new RequestOutcome(stopwatch.Elapsed, $"HTTP error: {ex.HttpRequestError}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new RequestOutcome(stopwatch.Elapsed, "client timeout");
        }
    }

    private static string? Judge(Workload workload, HttpStatusCode status, string body)
    {
        if (status != HttpStatusCode.OK)
        {
            return $"HTTP {(int)status}";
        }

        ExecuteResponseBody? result;
        try
        {
            result = JsonSerializer.Deserialize<ExecuteResponseBody>(body, Json);
        }
        catch (JsonException)
        {
            return "unparseable response";
        }

        return result switch
        {
            null => "empty response",
            { TimedOut: true } => "timed out",
            { ExitCode: not 0 } => $"exit code {result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}",
            { StdoutTruncated: true } => "stdout truncated",
            _ when !workload.IsExpectedStdout(result.Stdout ?? "") => "unexpected stdout",
            _ => null,
        };
    }

    private sealed record ExecuteRequestBody(string Code, int TimeoutMs);

    private sealed record ExecuteResponseBody(string? Stdout, int? ExitCode, bool TimedOut, bool StdoutTruncated);
}
