using System.ComponentModel.DataAnnotations;
using CodeInterpreter.Domain.Egress;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>Limits of executions, bound from the reference API's environment variables.</summary>
public sealed class ExecutionOptions : IValidatableObject
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

    /// <summary>Most display items (<c>outputs</c>: display() calls, figures shown, the trailing expression) returned per execution.</summary>
    [ConfigurationKeyName("MAX_OUTPUT_ITEMS")]
    [Range(0, 1_000, ErrorMessage = "MAX_OUTPUT_ITEMS must be between {1} and {2}.")]
    public int MaxOutputItems { get; set; } = 32;

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

    /// <summary>Largest <c>memory_limit_mb</c> a request may ask for.</summary>
    [ConfigurationKeyName("MAX_MEMORY_LIMIT_MB")]
    [Range(16, 1_048_576, ErrorMessage = "MAX_MEMORY_LIMIT_MB must be between {1} and {2}.")]
    public int MaxMemoryLimitMb { get; set; } = 2048;

    /// <summary>Largest <c>cpu_limit</c> (cores) a request may ask for.</summary>
    [ConfigurationKeyName("MAX_CPU_LIMIT")]
    [Range(0.01, 256, ErrorMessage = "MAX_CPU_LIMIT must be between {1} and {2}.")]
    public double MaxCpuLimit { get; set; } = 2;

    /// <summary>Whether a request may ask for <c>network: true</c>.</summary>
    [ConfigurationKeyName("ALLOW_NETWORK")]
    public bool AllowNetwork { get; set; }

    /// <summary>
    /// Executor images a request may choose, as <c>key=image</c> pairs separated by commas (the key is
    /// what <c>python_version</c> names, e.g. <c>3.11=code-interpreter-executor:latest</c>). Empty:
    /// only the default image.
    /// </summary>
    [ConfigurationKeyName("EXECUTOR_IMAGES")]
    [RegularExpression(@"^\s*([^=,\s]+=[^=,\s]+\s*(,\s*[^=,\s]+=[^=,\s]+\s*)*)?$",
        ErrorMessage = "EXECUTOR_IMAGES must be comma-separated key=image pairs, e.g. 3.11=code-interpreter-executor:latest.")]
    public string ExecutorImages { get; set; } = string.Empty;

    /// <summary><see cref="ExecutorImages"/> parsed: key to image reference, in the configured order.</summary>
    /// <remarks>A method, not a property: option validation reads every property, even of an invalid value.</remarks>
    public IReadOnlyList<KeyValuePair<string, string>> AllowedImages() =>
        [.. ExecutorImages.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2, StringSplitOptions.TrimEntries))
            .Select(parts => KeyValuePair.Create(parts[0], parts[1]))];

    /// <summary>
    /// Hosts a request's <c>allow_hosts</c> may name, comma-separated (<c>*</c> = any host name, <c>*.example.org</c>,
    /// <c>host:port</c>, IPv4 literals only where named). Empty: requests cannot ask for restricted egress.
    /// </summary>
    [ConfigurationKeyName("EGRESS_ALLOW_HOSTS")]
    public string EgressAllowHosts { get; set; } = string.Empty;

    /// <summary>
    /// What <c>network: true</c> without <c>allow_hosts</c> may reach, in the same form as <see cref="EgressAllowHosts"/>
    /// (default <c>*</c>: any host name whose address is outside EGRESS_DENY_CIDRS).
    /// </summary>
    [ConfigurationKeyName("EGRESS_DEFAULT_HOSTS")]
    public string EgressDefaultHosts { get; set; } = "*";

    /// <summary><see cref="EgressAllowHosts"/> parsed (entries that do not parse are refused at start-up).</summary>
    public IReadOnlyList<EgressHost> AllowedEgress() => ParseHosts(EgressAllowHosts);

    /// <summary><see cref="EgressDefaultHosts"/> parsed.</summary>
    public IReadOnlyList<EgressHost> DefaultEgress() => ParseHosts(EgressDefaultHosts);

    /// <summary>Egress can be granted (ALLOW_NETWORK, the master switch): then every sandbox with network goes through the egress proxy.</summary>
    public bool EgressEnabled => AllowNetwork;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { ("EGRESS_ALLOW_HOSTS", EgressAllowHosts), ("EGRESS_DEFAULT_HOSTS", EgressDefaultHosts) })
        {
            foreach (var text in Split(value))
            {
                if (!EgressHost.TryParse(text, allowAnyHost: true, out _, out var problem))
                {
                    yield return new ValidationResult($"{name}: '{text}' {problem}.", [name]);
                }
            }
        }
    }

    private static IReadOnlyList<EgressHost> ParseHosts(string value) =>
        [.. Split(value).Select(text => EgressHost.TryParse(text, allowAnyHost: true, out var host, out _) ? host : null).OfType<EgressHost>()];

    private static string[] Split(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
