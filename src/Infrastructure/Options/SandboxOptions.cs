using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CodeInterpreter.Infrastructure.Options;

/// <summary>How sandboxes are created on the Docker engine.</summary>
public sealed class SandboxOptions
{
    /// <summary>Engine endpoint, as the Docker CLI reads it.</summary>
    [ConfigurationKeyName("DOCKER_HOST")]
    [Required(ErrorMessage = "DOCKER_HOST must not be empty.")]
    [RegularExpression("^(unix|tcp|http|https)://.+$", ErrorMessage = "DOCKER_HOST must be a unix://, tcp:// or http(s):// address.")]
    public string DockerHost { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>The executor image (alias: PYTHON_EXECUTOR_DOCKER_IMAGE, the reference's name).</summary>
    [ConfigurationKeyName("EXECUTOR_IMAGE")]
    [Required(ErrorMessage = "EXECUTOR_IMAGE must not be empty.")]
    public string ExecutorImage { get; set; } = "code-interpreter-executor:latest";

    /// <summary>A <c>docker save</c> archive loaded when the image is missing, instead of a pull.</summary>
    [ConfigurationKeyName("EXECUTOR_IMAGE_TAR")]
    public string? ExecutorImageTar { get; set; }

    /// <summary>OCI runtime of sandboxes: runc (the engine's default) or runsc (gVisor).</summary>
    [ConfigurationKeyName("EXECUTOR_RUNTIME")]
    [RegularExpression("^(runc|runsc)$", ErrorMessage = "EXECUTOR_RUNTIME must be runc or runsc.")]
    public string Runtime { get; set; } = "runc";

    /// <summary>Size of the /workspace tmpfs; also the largest file the code may write.</summary>
    [ConfigurationKeyName("WORKSPACE_SIZE_MB")]
    [Range(1, 65_536, ErrorMessage = "WORKSPACE_SIZE_MB must be between {1} and {2}.")]
    public int WorkspaceSizeMb { get; set; } = 100;

    /// <summary>Size of the /tmp tmpfs.</summary>
    [ConfigurationKeyName("TMP_SIZE_MB")]
    [Range(1, 65_536, ErrorMessage = "TMP_SIZE_MB must be between {1} and {2}.")]
    public int TmpSizeMb { get; set; } = 64;

    /// <summary>CPU cores a sandbox may use (CFS quota).</summary>
    [ConfigurationKeyName("SANDBOX_CPUS")]
    [Range(0.01, 64, ErrorMessage = "SANDBOX_CPUS must be between {1} and {2}.")]
    public double Cpus { get; set; } = 1;

    /// <summary>Most processes and threads in one sandbox (fork bombs stop here).</summary>
    [ConfigurationKeyName("SANDBOX_PIDS_LIMIT")]
    [Range(8, 65_536, ErrorMessage = "SANDBOX_PIDS_LIMIT must be between {1} and {2}.")]
    public int PidsLimit { get; set; } = 128;

    /// <summary>Most open files of a sandboxed process.</summary>
    [ConfigurationKeyName("SANDBOX_NOFILE_LIMIT")]
    [Range(16, 65_536, ErrorMessage = "SANDBOX_NOFILE_LIMIT must be between {1} and {2}.")]
    public int NofileLimit { get; set; } = 256;

    /// <summary>
    /// Names this service's sandboxes (a label): orphans of the same name are removed at start-up,
    /// so two services sharing one engine need different names.
    /// </summary>
    [ConfigurationKeyName("SANDBOX_INSTANCE")]
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$", ErrorMessage = "SANDBOX_INSTANCE must be 1-64 letters, digits, '.', '_' or '-'.")]
    public string Instance { get; set; } = "default";

    /// <summary>Longest wait for a sandbox's runner to boot and accept the request.</summary>
    [ConfigurationKeyName("SANDBOX_BOOT_TIMEOUT_SEC")]
    [Range(1, 600, ErrorMessage = "SANDBOX_BOOT_TIMEOUT_SEC must be between {1} and {2}.")]
    public int BootTimeoutSec { get; set; } = 60;
}
