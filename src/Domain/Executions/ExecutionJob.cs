namespace CodeInterpreter.Domain.Executions;

/// <summary>Where an asynchronous execution stands.</summary>
public enum ExecutionJobStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    TimedOut,
}

/// <summary>
/// An execution submitted to run in the background. Its status only moves forward (queued, running,
/// then one final state), whatever order the events arrive in; a final state never changes.
/// </summary>
public sealed class ExecutionJob(string id, DateTimeOffset createdAt)
{
    private readonly Lock _gate = new();

    public string Id { get; } = id;

    /// <summary>The API key owner that submitted it (null without API keys); only it may see the job.</summary>
    public string? Owner { get; init; }

    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The run's checked wall-clock limit.</summary>
    public TimeSpan Timeout { get; init; }

    public ExecutionJobStatus Status { get; private set; } = ExecutionJobStatus.Queued;

    public DateTimeOffset? StartedAt { get; private set; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>The result once completed or timed out.</summary>
    public ExecutionResult? Result { get; private set; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Error { get; private set; }

    public bool IsFinished => Status is not (ExecutionJobStatus.Queued or ExecutionJobStatus.Running);

    /// <summary>A job as a store kept it (a row read back), in whatever state it had reached.</summary>
    public static ExecutionJob Restore(
        string id, DateTimeOffset createdAt, string? owner, TimeSpan timeout, ExecutionJobStatus status,
        DateTimeOffset? startedAt, DateTimeOffset? finishedAt, ExecutionResult? result, string? error) =>
        new(id, createdAt)
        {
            Owner = owner,
            Timeout = timeout,
            Status = status,
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            Result = result,
            Error = error,
        };

    public void MarkRunning(DateTimeOffset at)
    {
        lock (_gate)
        {
            if (Status == ExecutionJobStatus.Queued)
            {
                Status = ExecutionJobStatus.Running;
                StartedAt = at;
            }
        }
    }

    public void Complete(ExecutionResult result, DateTimeOffset at) =>
        Finish(result.TimedOut ? ExecutionJobStatus.TimedOut : ExecutionJobStatus.Completed, result, null, at);

    public void Fail(string error, DateTimeOffset at) => Finish(ExecutionJobStatus.Failed, null, error, at);

    public void Cancel(string reason, DateTimeOffset at) => Finish(ExecutionJobStatus.Cancelled, null, reason, at);

    private void Finish(ExecutionJobStatus status, ExecutionResult? result, string? error, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (IsFinished)
            {
                return;
            }

            Status = status;
            Result = result;
            Error = error;
            FinishedAt = at;
        }
    }
}
