using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Application.Common.Options;

/// <summary>Where and how long files are kept, bound from the reference API's environment variables.</summary>
public sealed class FileStorageOptions
{
    /// <summary>Largest accepted upload, in MB (1 MB = 1048576 bytes).</summary>
    [ConfigurationKeyName("MAX_FILE_SIZE_MB")]
    [Range(1, 10_240, ErrorMessage = "MAX_FILE_SIZE_MB must be between {1} and {2}.")]
    public int MaxFileSizeMb { get; set; } = 100;

    /// <summary>Directory of the embedded file store; created at start-up.</summary>
    [ConfigurationKeyName("FILE_STORAGE_DIR")]
    [Required(ErrorMessage = "FILE_STORAGE_DIR must not be empty.")]
    public string StorageDir { get; set; } = "/tmp/code-interpreter-files";

    /// <summary>Files older than this many seconds are deleted; 0 keeps them forever.</summary>
    [ConfigurationKeyName("FILE_TTL_SEC")]
    [Range(0, 31_536_000, ErrorMessage = "FILE_TTL_SEC must be between {1} and {2}.")]
    public int TtlSec { get; set; } = 3600;

    /// <summary>How often expired files are looked for, in seconds.</summary>
    [ConfigurationKeyName("FILE_SWEEP_INTERVAL_SEC")]
    [Range(1, 86_400, ErrorMessage = "FILE_SWEEP_INTERVAL_SEC must be between {1} and {2}.")]
    public int SweepIntervalSec { get; set; } = 60;

    public long MaxFileSizeBytes => MaxFileSizeMb * 1024L * 1024L;
}
