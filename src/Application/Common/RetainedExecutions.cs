namespace CodeInterpreter.Application.Common;

/// <summary>The rule of MAX_RETAINED_EXECUTIONS that every store of <see cref="Interfaces.IExecutionJobs"/> applies.</summary>
public static class RetainedExecutions
{
    /// <summary>
    /// The 429 of a submit when <paramref name="retained"/> executions are kept and none has finished (only a
    /// finished one may be removed to make room); the next to finish frees a place.
    /// </summary>
    public static TooManyRequestsException Refusal(int retained) => new(
        $"{retained} background executions are kept (MAX_RETAINED_EXECUTIONS) and none of them has finished; "
        + "try again once one finishes.",
        ExecutionShare.RetryAfter);
}
