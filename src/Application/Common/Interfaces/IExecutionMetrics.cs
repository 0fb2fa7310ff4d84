namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Counts what executions came to, for operators (GET /metrics).</summary>
public interface IExecutionMetrics
{
    /// <param name="codeDuration">How long the code ran; null when it never ran (refused, engine away, ...).</param>
    void Record(ExecutionOutcome outcome, TimeSpan? codeDuration);
}
