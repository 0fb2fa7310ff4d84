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

    /// <summary>
    /// MB all unexpired files together may take (uploads and generated files); a file that does not fit is
    /// refused with 507. 0 = no limit.
    /// </summary>
    [ConfigurationKeyName("FILE_STORE_MAX_MB")]
    [Range(0, 1_048_576, ErrorMessage = "FILE_STORE_MAX_MB must be between {1} and {2} (0 = no limit).")]
    public int MaxStoreMb { get; set; } = 10_240;

    /// <summary>
    /// MB the unexpired files of one API key may take (with API_KEYS; without keys only FILE_STORE_MAX_MB
    /// applies); a file over the key's share is refused with 413. 0 = no limit per key.
    /// </summary>
    [ConfigurationKeyName("FILE_STORE_MAX_MB_PER_KEY")]
    [Range(0, 1_048_576, ErrorMessage = "FILE_STORE_MAX_MB_PER_KEY must be between {1} and {2} (0 = no limit).")]
    public int MaxStoreMbPerKey { get; set; }

    public long MaxFileSizeBytes => MaxFileSizeMb * 1024L * 1024L;

    /// <summary>Files uploaded before this moment have expired (and no longer count); none when FILE_TTL_SEC is 0.</summary>
    public DateTimeOffset ExpiredBefore(DateTimeOffset now) => TtlSec == 0 ? DateTimeOffset.MinValue : now - TimeSpan.FromSeconds(TtlSec);
}
