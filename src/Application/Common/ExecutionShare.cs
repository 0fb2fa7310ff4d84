namespace CodeInterpreter.Application.Common;

/// <summary>The rule of MAX_CONCURRENT_EXECUTIONS_PER_KEY that every store of <see cref="Interfaces.IExecutionShares"/> applies.</summary>
public static class ExecutionShare
{
    /// <summary>When to try again: executions are short, and the key's own next one to finish frees a place.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>Whether <paramref name="owner"/>'s executions are counted: only with API keys and a limit.</summary>
    public static bool Applies(string? owner, int limit) => owner is not null && limit > 0;

    /// <summary>The 429 of a key at <paramref name="limit"/>.</summary>
    public static TooManyRequestsException Refusal(int limit) => new(
        $"This API key has {limit} executions running or queued (MAX_CONCURRENT_EXECUTIONS_PER_KEY); "
        + "wait for one of them to finish, then try again.",
        RetryAfter);
}
