using System.Globalization;
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

    /// <summary>Where a package environment is mounted: the image's .pth puts its site-packages after the image's own.</summary>
    public const string PackagesPath = "/opt/packages";

    private const long Megabyte = 1024 * 1024;

    /// <summary>EXECUTOR_RUNTIME of gVisor.</summary>
    public const string GVisorRuntime = "runsc";

    /// <summary>The <c>SecurityOpt</c> entry that names Docker's default AppArmor profile.</summary>
    public const string AppArmorProfile = "apparmor=docker-default";

    /// <summary>
    /// The runner's identity in a sandbox that runs code: root, with only the capabilities it needs to
    /// run the code as <see cref="SandboxUser"/> and to stop what the code started. The code's process
    /// drops all of it before anything of the code runs (PROTOCOL.md, "Security"), so the runner's
    /// descriptors belong to another uid than the code's under both runtimes.
    /// </summary>
    private const string RunnerUser = "0:0";

    private static readonly string[] RunnerCapabilities = ["SETUID", "SETGID", "KILL"];

    // Under gVisor's ptrace platform every task of the sandbox costs the engine's pids cgroup some 8.5
    // host tasks (1080 measured at a peak for 127 sandbox processes): the sandbox's own limit is
    // RLIMIT_NPROC, and the cgroup's only keeps gVisor itself from running out of threads.
    private const int GVisorHostTasksPerTask = 16;
    private const int GVisorHostTasksBase = 256;

    // Under gVisor a forked Python process costs the sandbox's memory some 5 MB (12 MB when the parent
    // has pandas imported; measured with runsc 20221219, ptrace platform), against ~1 MB under runc, and
    // gVisor has no OOM killer of its own: the engine's kills the whole sandbox. So the process limit
    // is what the memory limit can hold (256 MB: 32 processes), and a fork bomb is refused by the kernel
    // with the runner still there to report it.
    private const int GVisorMemoryMbPerProcess = 8;
    private const int GVisorMinProcesses = 8;

    /// <summary>
    /// The settings of a sandbox whose command is the runner (an execution's or a session's): those
    /// of <see cref="Build"/>, started as <see cref="RunnerUser"/> with <see cref="RunnerCapabilities"/>.
    /// </summary>
    /// <param name="label">The execution id, "pool" for a warm sandbox not yet leased, or the session id.</param>
    public static CreateContainerParameters BuildRunner(SandboxOptions options, SandboxShape shape, string label)
    {
        var parameters = Build(options, shape, label);
        parameters.User = RunnerUser;
        parameters.HostConfig!.CapAdd = [.. RunnerCapabilities];
        return parameters;
    }

    /// <summary>
    /// The settings of a sandbox that runs as <see cref="SandboxUser"/> from its first process on,
    /// without any capability (the package builder and probe, and the base of <see cref="BuildRunner"/>).
    /// </summary>
    /// <param name="label">What the sandbox is for.</param>
    public static CreateContainerParameters Build(SandboxOptions options, SandboxShape shape, string label)
    {
        var memoryBytes = shape.MemoryLimitMb * Megabyte;
        var workspaceBytes = options.WorkspaceSizeMb * Megabyte;
        return new CreateContainerParameters
        {
            Image = shape.Image ?? options.ExecutorImage,
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
            NetworkDisabled = shape.Egress is null,
            Env = [$"SANDBOX_PRELOAD={shape.Preload}", .. ProxyEnvironment(shape.Egress?.ProxyUrl)],
            Labels = new Dictionary<string, string>
            {
                [SandboxLabels.Sandbox] = "true",
                [SandboxLabels.Instance] = options.Instance,
                [SandboxLabels.ExecutionId] = label,
            },
            HostConfig = new HostConfig
            {
                NetworkMode = shape.Egress?.Network ?? "none",
                ReadonlyRootfs = true,
                CapDrop = ["ALL"],
                // Docker's own AppArmor profile, named: where AppArmor is active it confines the sandbox (and docker
                // inspect shows it); on a host without AppArmor (this one) the engine ignores it, under runc and runsc.
                SecurityOpt = ["no-new-privileges", SandboxSeccomp.SecurityOpt(options.Runtime), AppArmorProfile],
                Privileged = false,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/workspace"] = TmpfsOptions(options.WorkspaceSizeMb, "0700"),
                    ["/tmp"] = TmpfsOptions(options.TmpSizeMb, "1777"),
                },
                Memory = memoryBytes,
                // Swap equal to memory means no swap at all: the limit is the limit.
                MemorySwap = memoryBytes,
                NanoCPUs = (long)((shape.Cpus ?? options.Cpus) * 1_000_000_000),
                PidsLimit = options.Runtime == GVisorRuntime
                    ? (options.PidsLimit * GVisorHostTasksPerTask) + GVisorHostTasksBase
                    : options.PidsLimit,
                Ulimits = Ulimits(options, shape, workspaceBytes),
                Mounts = shape.PackageEnvironment is { } volume
                    ? [new Mount { Type = "volume", Source = volume, Target = PackagesPath, ReadOnly = true, VolumeOptions = new VolumeOptions { NoCopy = true } }]
                    : null,
                Runtime = options.Runtime,
                // Output is relayed through the attach stream only; a log driver would keep a copy on disk.
                LogConfig = new LogConfig { Type = "none" },
                AutoRemove = false,
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            },
            // On its own network at the address the proxy knows it by.
            NetworkingConfig = shape.Egress is { } egress
                ? new NetworkingConfig
                {
                    EndpointsConfig = new Dictionary<string, EndpointSettings>
                    {
                        [egress.Network] = new() { IPAMConfig = new EndpointIPAMConfig { IPv4Address = egress.SandboxAddress } },
                    },
                }
                : null,
        };
    }

    /// <summary>Where HTTP clients find the egress proxy (both spellings: tools read one or the other).</summary>
    private static string[] ProxyEnvironment(string? proxy) => proxy is null
        ? []
        : [$"HTTP_PROXY={proxy}", $"HTTPS_PROXY={proxy}", $"http_proxy={proxy}", $"https_proxy={proxy}", "NO_PROXY=localhost,127.0.0.1", "no_proxy=localhost,127.0.0.1"];

    private static List<Ulimit> Ulimits(SandboxOptions options, SandboxShape shape, long workspaceBytes)
    {
        List<Ulimit> limits =
        [
            new Ulimit { Name = "nofile", Soft = options.NofileLimit, Hard = options.NofileLimit },
            new Ulimit { Name = "fsize", Soft = workspaceBytes, Hard = workspaceBytes },
            new Ulimit { Name = "core", Soft = 0, Hard = 0 },
        ];
        if (options.Runtime == GVisorRuntime)
        {
            // gVisor's processes live in its own kernel, which the pids cgroup does not count; its
            // kernel enforces RLIMIT_NPROC per sandbox instead. (Under runc the same limit would count
            // every sandbox's processes together, since they share one uid: the pids cgroup does it there.)
            var processes = Math.Clamp(shape.MemoryLimitMb / GVisorMemoryMbPerProcess, GVisorMinProcesses, Math.Max(GVisorMinProcesses, options.PidsLimit));
            limits.Add(new Ulimit { Name = "nproc", Soft = processes, Hard = processes });
        }

        return limits;
    }

    private static string TmpfsOptions(int sizeMb, string mode) =>
        string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={sizeMb}m,uid=10001,gid=10001,mode={mode}");
}
