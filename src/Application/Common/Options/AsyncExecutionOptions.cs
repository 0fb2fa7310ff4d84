using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>Background executions submitted with <c>POST /v1/executions</c>.</summary>
public sealed class AsyncExecutionOptions
{
    /// <summary>Seconds a finished execution's result is kept for polling.</summary>
    [ConfigurationKeyName("EXECUTION_RESULT_TTL_SEC")]
    [Range(1, 604_800, ErrorMessage = "EXECUTION_RESULT_TTL_SEC must be between {1} and {2}.")]
    public int ResultTtlSec { get; set; } = 3600;

    /// <summary>
    /// Seconds after its creation an execution submitted through the python-executor facade
    /// (<c>/api/v1/exec/async</c>) can still be read there, as python-executor keeps its records.
    /// </summary>
    [ConfigurationKeyName("PYEXEC_RESULT_TTL_SEC")]
    [Range(1, 604_800, ErrorMessage = "PYEXEC_RESULT_TTL_SEC must be between {1} and {2}.")]
    public int PyExecResultTtlSec { get; set; } = 300;

    /// <summary>Submitted executions not yet finished; beyond it a submit answers 429.</summary>
    [ConfigurationKeyName("MAX_PENDING_EXECUTIONS")]
    [Range(1, 100_000, ErrorMessage = "MAX_PENDING_EXECUTIONS must be between {1} and {2}.")]
    public int MaxPending { get; set; } = 256;

    /// <summary>
    /// Background executions kept at most, finished or not (every replica's); a submit beyond it first removes
    /// the oldest finished ones, and is refused with 429 when every kept one is still queued or running.
    /// </summary>
    [ConfigurationKeyName("MAX_RETAINED_EXECUTIONS")]
    [Range(1, 10_000_000, ErrorMessage = "MAX_RETAINED_EXECUTIONS must be between {1} and {2}.")]
    public int MaxRetained { get; set; } = 10_000;

    /// <summary>How often expired results are removed.</summary>
    [ConfigurationKeyName("EXECUTION_SWEEP_INTERVAL_SEC")]
    [Range(1, 86_400, ErrorMessage = "EXECUTION_SWEEP_INTERVAL_SEC must be between {1} and {2}.")]
    public int SweepIntervalSec { get; set; } = 60;
}
