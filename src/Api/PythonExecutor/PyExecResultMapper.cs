using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>Our executions as python-executor's result objects.</summary>
public static class PyExecResultMapper
{
    /// <summary>A new execution id: <c>exe_</c> and a lowercase UUID v4.</summary>
    public static string NewExecutionId() => $"exe_{Guid.NewGuid():D}";

    /// <summary>
    /// One finished run. A run whose time ran out is failed (with python-executor's message) and keeps
    /// what it printed; any other end is completed with its exit code.
    /// </summary>
    public static PyExecResult ToPyExecResult(
        this ExecutionResult result, string executionId, DateTimeOffset finishedAt, TimeSpan timeout) => new()
    {
        ExecutionId = executionId,
        Status = result.TimedOut ? PyExecStatus.Failed : PyExecStatus.Completed,
        Stdout = result.Stdout,
        Stderr = result.Stderr,
        ExitCode = result.ExitCode,
        Error = result.TimedOut ? PyExecStatus.TimeoutMessage(timeout) : null,
        ErrorType = result.ExitCode is not 0 ? result.Error?.Type : null,
        ErrorLine = result.ExitCode is not 0 ? result.Error?.Line : null,
        StartedAt = PyExecTimestamp.Format(finishedAt - result.Duration),
        FinishedAt = PyExecTimestamp.Format(finishedAt),
        DurationMs = (long)Math.Round(result.Duration.TotalMilliseconds),
        Result = result.LastExpressionValue,
        Usage = result.Usage is { } usage
            ? new ExecutionUsageInfo { CpuMs = usage.CpuMs, PeakMemoryBytes = usage.PeakMemoryBytes, WallMs = usage.WallMs }
            : null,
    };

    /// <summary>A background execution as it stands; no output until it has ended.</summary>
    public static PyExecResult ToPyExecResult(this ExecutionJob job)
    {
        if (job.Result is { } result && job.FinishedAt is { } finishedAt)
        {
            var finished = result.ToPyExecResult(job.Id, finishedAt, job.Timeout);
            return finished with { StartedAt = PyExecTimestamp.Format(job.StartedAt) ?? finished.StartedAt };
        }

        return new PyExecResult
        {
            ExecutionId = job.Id,
            Status = PyExecStatus.Of(job.Status),
            Error = job.Error,
            StartedAt = PyExecTimestamp.Format(job.StartedAt),
            FinishedAt = PyExecTimestamp.Format(job.FinishedAt),
        };
    }
}
