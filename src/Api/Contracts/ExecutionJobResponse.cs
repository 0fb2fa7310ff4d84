namespace CodeInterpreter.Api.Contracts;

/// <summary>A submitted (asynchronous) execution.</summary>
public sealed class ExecutionJobResponse
{
    /// <summary>Id to poll with <c>GET /v1/executions/{execution_id}</c>.</summary>
    public required string ExecutionId { get; init; }

    /// <summary><c>queued</c>, <c>running</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c> or <c>timed_out</c>.</summary>
    public required string Status { get; init; }

    /// <summary>When it was submitted (Unix seconds).</summary>
    public required double CreatedAt { get; init; }

    /// <summary>When its code started (Unix seconds), once it has.</summary>
    public double? StartedAt { get; init; }

    /// <summary>When it finished (Unix seconds), once it has.</summary>
    public double? FinishedAt { get; init; }

    /// <summary>The same result as <c>POST /v1/execute</c> returns, once completed or timed out.</summary>
    public ExecuteResponse? Result { get; init; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Error { get; init; }
}
