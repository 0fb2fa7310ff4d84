namespace CodeInterpreter.Application.Executions;

/// <summary>Where a submitted execution stands, with its result once finished.</summary>
public sealed record GetExecutionQuery(string ExecutionId) : IQuery<ExecutionJob>;

public sealed class GetExecutionHandler(IExecutionJobs jobs) : IQueryHandler<GetExecutionQuery, ExecutionJob>
{
    public async ValueTask<ExecutionJob> Handle(GetExecutionQuery query, CancellationToken cancellationToken) =>
        await ExecutionErrors.FindVisibleAsync(jobs, query.ExecutionId, cancellationToken).ConfigureAwait(false);
}

internal static class ExecutionErrors
{
    /// <summary>The caller's job; another caller's job is not found, like one that does not exist.</summary>
    public static async Task<ExecutionJob> FindVisibleAsync(IExecutionJobs jobs, string id, CancellationToken cancellationToken) =>
        await jobs.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } job
            && string.Equals(job.Owner, CallerContext.Owner, StringComparison.Ordinal)
            ? job
            : throw NotFound(id);

    public static NotFoundException NotFound(string id) =>
        new($"Execution '{new string([.. id.Take(100).Select(c => char.IsControl(c) ? '?' : c)])}' not found");
}
