namespace CodeInterpreter.EndToEnd.Tests.ScaleOut;

/// <summary>Who answered a call through the load balancer: <c>X-Replica</c>, and <c>X-Forwarded-By-Replica</c> when another replica forwarded it.</summary>
internal sealed record Answer(string Path, int Status, string? Replica, string? ForwardedBy);

/// <summary>
/// Keeps, for every call the generated client makes, which replica answered (the generated client
/// returns bodies only). Answers are kept per asynchronous flow, so concurrent clients do not mix.
/// </summary>
internal sealed class ReplicaRecorder : DelegatingHandler
{
    private readonly AsyncLocal<List<Answer>?> _answers = new();

    public ReplicaRecorder()
        : base(new SocketsHttpHandler())
    {
    }

    /// <summary>The answers of this flow, from now on.</summary>
    public List<Answer> Begin() => _answers.Value = [];

    /// <summary>The last answer of this flow.</summary>
    public Answer Last => _answers.Value is { Count: > 0 } answers ? answers[^1] : throw new InvalidOperationException("no call recorded");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        _answers.Value?.Add(new Answer(
            $"{request.Method} {request.RequestUri?.AbsolutePath}", (int)response.StatusCode, Header(response, "X-Replica"), Header(response, "X-Forwarded-By-Replica")));
        return response;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
