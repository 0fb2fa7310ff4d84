using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CodeInterpreter.Bench;

/// <summary>
/// Sends workloads to the service, one-shot (POST /v1/execute, or POST /api/v1/eval for the
/// python-executor workload) or in a session (POST /v1/sessions/{id}/execute), and judges each answer.
/// </summary>
internal sealed class ExecuteClient(HttpClient http)
{
    // Long enough for any phase; the session is deleted when the phase ends.
    private const int SessionTtlSeconds = 600;

    // Generous, so a slow cold start under load shows up as latency, not as a failure.
    private const int CodeTimeoutMs = 30_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public Task<RequestOutcome> ExecuteAsync(Workload workload, CancellationToken cancellationToken) =>
        workload.ThroughPyExec
            ? PostAsync("/api/v1/eval", workload, new PyExecEvalBody(workload.Code, EvalLastExpr: true), JudgePyExec, cancellationToken)
            : PostCodeAsync("/v1/execute", workload, cancellationToken);

    public Task<RequestOutcome> ExecuteInSessionAsync(string sessionId, Workload workload, CancellationToken cancellationToken) =>
        PostCodeAsync($"/v1/sessions/{Uri.EscapeDataString(sessionId)}/execute", workload, cancellationToken);

    /// <summary>Opens a session and returns its id.</summary>
    /// <exception cref="InvalidOperationException">The service did not open one (the message says why).</exception>
    public async Task<string> OpenSessionAsync(CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(
            "/v1/sessions", new SessionCreateRequestBody(SessionTtlSeconds), Json, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"opening a session answered HTTP {(int)response.StatusCode}");
        }

        try
        {
            return JsonSerializer.Deserialize<SessionCreateResponseBody>(body, Json)?.SessionId is { Length: > 0 } id
                ? id
                : throw new InvalidOperationException("opening a session answered no session_id");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException("opening a session answered unparseable JSON", ex);
        }
    }

    /// <summary>Deletes a session; false when the service did not answer 204.</summary>
    public async Task<bool> CloseSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync(
            new Uri($"/v1/sessions/{Uri.EscapeDataString(sessionId)}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NoContent;
    }

    private Task<RequestOutcome> PostCodeAsync(string path, Workload workload, CancellationToken cancellationToken) =>
        PostAsync(path, workload, new ExecuteRequestBody(workload.Code, CodeTimeoutMs), Judge, cancellationToken);

    private async Task<RequestOutcome> PostAsync<TBody>(
        string path, Workload workload, TBody request, Func<Workload, HttpStatusCode, string, string?> judge,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await http.PostAsJsonAsync(path, request, Json, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            // End-to-end: stopped once the whole body is in, before the client spends time parsing it.
            var latency = stopwatch.Elapsed;
            return new RequestOutcome(latency, judge(workload, response.StatusCode, body));
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

    // python-executor's result: a traceback is "completed" with a non-zero exit code, a timeout "failed".
    private static string? JudgePyExec(Workload workload, HttpStatusCode status, string body)
    {
        if (status != HttpStatusCode.OK)
        {
            return $"HTTP {(int)status}";
        }

        PyExecResultBody? result;
        try
        {
            result = JsonSerializer.Deserialize<PyExecResultBody>(body, Json);
        }
        catch (JsonException)
        {
            return "unparseable response";
        }

        return result switch
        {
            null => "empty response",
            { Status: not "completed" } => $"status {result.Status ?? "null"}",
            { ExitCode: not 0 } => $"exit code {result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}",
            _ when !workload.IsExpectedStdout(result.Stdout ?? "") => "unexpected stdout",
            _ => null,
        };
    }

    private sealed record ExecuteRequestBody(string Code, int TimeoutMs);

    private sealed record PyExecEvalBody(string Code, bool EvalLastExpr);

    private sealed record PyExecResultBody(string? Status, string? Stdout, int? ExitCode);

    private sealed record SessionCreateRequestBody(int TtlSeconds);

    private sealed record SessionCreateResponseBody(string? SessionId);

    private sealed record ExecuteResponseBody(string? Stdout, int? ExitCode, bool TimedOut, bool StdoutTruncated);
}
