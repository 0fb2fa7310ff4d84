using System.Globalization;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// python-executor's five status words and what they mean here: completed = the program exited, with
/// any code (a traceback is completed with exit_code 1); failed = it could not run, or its time ran
/// out; killed = stopped by DELETE. Its Python client makes an enum of them: no other word may appear.
/// </summary>
public static class PyExecStatus
{
    /// <summary>Submitted, waiting for a slot.</summary>
    public const string Pending = "pending";
    /// <summary>Its program is running.</summary>
    public const string Running = "running";
    /// <summary>Its program exited, with any exit code.</summary>
    public const string Completed = "completed";
    /// <summary>It could not run, or its time ran out.</summary>
    public const string Failed = "failed";
    /// <summary>Stopped by DELETE; stays so.</summary>
    public const string Killed = "killed";

    /// <summary>The word for a background execution's state.</summary>
    public static string Of(ExecutionJobStatus status) => status switch
    {
        ExecutionJobStatus.Queued => Pending,
        ExecutionJobStatus.Running => Running,
        ExecutionJobStatus.Completed => Completed,
        ExecutionJobStatus.Cancelled => Killed,
        _ => Failed,
    };

    /// <summary>python-executor's message for a run that ran out of time, e.g. <c>execution timeout after 2s</c>.</summary>
    public static string TimeoutMessage(TimeSpan limit) =>
        $"execution timeout after {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";
}
