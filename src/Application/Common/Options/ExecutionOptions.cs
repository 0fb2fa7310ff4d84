using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>Limits of executions, bound from the reference API's environment variables.</summary>
public sealed class ExecutionOptions
{
    [ConfigurationKeyName("MAX_EXEC_TIMEOUT_MS")]
    [Range(1, 3_600_000, ErrorMessage = "MAX_EXEC_TIMEOUT_MS must be between {1} and {2}.")]
    public int MaxExecTimeoutMs { get; set; } = 60_000;

    [ConfigurationKeyName("CPU_TIME_LIMIT_SEC")]
    [Range(1, 86_400, ErrorMessage = "CPU_TIME_LIMIT_SEC must be between {1} and {2}.")]
    public int CpuTimeLimitSec { get; set; } = 5;

    [ConfigurationKeyName("MEMORY_LIMIT_MB")]
    [Range(16, 1_048_576, ErrorMessage = "MEMORY_LIMIT_MB must be between {1} and {2}.")]
    public int MemoryLimitMb { get; set; } = 256;

    [ConfigurationKeyName("MAX_OUTPUT_BYTES")]
    [Range(1, 1_073_741_824, ErrorMessage = "MAX_OUTPUT_BYTES must be between {1} and {2}.")]
    public long MaxOutputBytes { get; set; } = 1_000_000;

    /// <summary>Largest accepted <c>code</c>, in UTF-8 bytes.</summary>
    [ConfigurationKeyName("MAX_CODE_BYTES")]
    [Range(1, 67_108_864, ErrorMessage = "MAX_CODE_BYTES must be between {1} and {2}.")]
    public int MaxCodeBytes { get; set; } = 1_048_576;

    /// <summary>Largest accepted <c>stdin</c>, in UTF-8 bytes.</summary>
    [ConfigurationKeyName("MAX_STDIN_BYTES")]
    [Range(0, 67_108_864, ErrorMessage = "MAX_STDIN_BYTES must be between {1} and {2}.")]
    public int MaxStdinBytes { get; set; } = 10_485_760;

    /// <summary>Most files staged into, and most generated files returned from, one execution.</summary>
    [ConfigurationKeyName("MAX_FILES_PER_EXECUTION")]
    [Range(0, 10_000, ErrorMessage = "MAX_FILES_PER_EXECUTION must be between {1} and {2}.")]
    public int MaxFilesPerExecution { get; set; } = 100;

    /// <summary>Most bytes of files staged into, and of generated files returned from, one execution.</summary>
    [ConfigurationKeyName("MAX_FILES_MB_PER_EXECUTION")]
    [Range(0, 10_240, ErrorMessage = "MAX_FILES_MB_PER_EXECUTION must be between {1} and {2}.")]
    public int MaxFilesMbPerExecution { get; set; } = 50;

    public long MaxFilesBytesPerExecution => MaxFilesMbPerExecution * 1024L * 1024L;
}
