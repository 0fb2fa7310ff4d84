using System.Globalization;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The container settings of a sandbox (DESIGN.md, "Container settings"). Every setting here has a
/// test that tries the attack it stops.
/// </summary>
internal static class SandboxContainerSpec
{
    /// <summary>The executor image's sandbox user; set explicitly so a custom image cannot run as root.</summary>
    public const string SandboxUser = "10001:10001";

    private const long Megabyte = 1024 * 1024;

    public static CreateContainerParameters Build(SandboxOptions options, SandboxRequest request)
    {
        var memoryBytes = request.Limits.MemoryLimitMb * Megabyte;
        var workspaceBytes = options.WorkspaceSizeMb * Megabyte;
        return new CreateContainerParameters
        {
            Image = options.ExecutorImage,
            User = SandboxUser,
            WorkingDir = "/workspace",
            Hostname = "sandbox",
            // The runner reads exactly one request frame from the attached stdin.
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            OpenStdin = true,
            StdinOnce = true,
            Tty = false,
            NetworkDisabled = true,
            // Preloading is the warm pool's job; a cold sandbox boots with nothing extra imported.
            Env = ["SANDBOX_PRELOAD="],
            Labels = new Dictionary<string, string>
            {
                [SandboxLabels.Sandbox] = "true",
                [SandboxLabels.Instance] = options.Instance,
                [SandboxLabels.ExecutionId] = request.ExecutionId,
            },
            HostConfig = new HostConfig
            {
                NetworkMode = "none",
                ReadonlyRootfs = true,
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/workspace"] = TmpfsOptions(options.WorkspaceSizeMb, "0700"),
                    ["/tmp"] = TmpfsOptions(options.TmpSizeMb, "1777"),
                },
                Memory = memoryBytes,
                // Swap equal to memory means no swap at all: the limit is the limit.
                MemorySwap = memoryBytes,
                NanoCPUs = (long)(options.Cpus * 1_000_000_000),
                PidsLimit = options.PidsLimit,
                Ulimits =
                [
                    new Ulimit { Name = "nofile", Soft = options.NofileLimit, Hard = options.NofileLimit },
                    new Ulimit { Name = "fsize", Soft = workspaceBytes, Hard = workspaceBytes },
                    new Ulimit { Name = "core", Soft = 0, Hard = 0 },
                ],
                Runtime = options.Runtime,
                // Output is relayed through the attach stream only; a log driver would keep a copy on disk.
                LogConfig = new LogConfig { Type = "none" },
                AutoRemove = false,
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            },
        };
    }

    private static string TmpfsOptions(int sizeMb, string mode) =>
        string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={sizeMb}m,uid=10001,gid=10001,mode={mode}");
}
