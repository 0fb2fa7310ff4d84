namespace CodeInterpreter.EndToEnd.Tests.Hosting;

/// <summary>
/// The `docker run` flags a Docker-in-Docker container gets: `--privileged` as the README documents
/// it, or, on hosts where that fails (a capability bounding set without CAP_SYS_RESOURCE makes runc
/// refuse with "unable to apply caps"), the near-privileged set that works there. Found by trying.
/// </summary>
internal static class NestedEnginePrivileges
{
    public static readonly IReadOnlyList<string> Privileged = ["--privileged"];

    public static readonly IReadOnlyList<string> NearPrivileged =
    [
        "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
        "--security-opt", "seccomp=unconfined",
        "--security-opt", "apparmor=unconfined",
        "--security-opt", "systempaths=unconfined",
        "--cgroupns", "host",
        "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    ];

    private static Task<IReadOnlyList<string>>? _probe;

    /// <summary>The flags for <paramref name="image"/>'s host, probed once per run.</summary>
    public static Task<IReadOnlyList<string>> ForAsync(string image) => _probe ??= ProbeAsync(image);

    private static async Task<IReadOnlyList<string>> ProbeAsync(string image)
    {
        var result = await HostCommand.DockerAsync(
            TimeSpan.FromMinutes(2), "run", "--rm", "--privileged", "--network", "none", "--entrypoint", "true", image);
        if (result.Succeeded)
        {
            TestContext.Progress.WriteLine("[e2e] --privileged works here");
            return Privileged;
        }

        TestContext.Progress.WriteLine(
            $"[e2e] --privileged fails here ({result.Stderr.Trim()}); using the near-privileged flag set");
        return NearPrivileged;
    }
}
