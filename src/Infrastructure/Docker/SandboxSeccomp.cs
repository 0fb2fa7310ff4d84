using System.Text.Json;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The seccomp profile every sandbox runs under (<c>sandbox-seccomp.json</c>, embedded). Stricter than
/// Docker's default: an allow-list of this architecture's system calls (anything else, including
/// calls newer than the list and the 32-bit ABI, fails with EPERM) without ptrace, bpf, the kernel
/// keyring, userfaultfd, perf_event_open, io_uring, the mount family, unshare/setns, other processes'
/// memory (process_vm_*, pidfd_getfd, kcmp), clock and kernel-module calls; <c>clone</c> only without
/// namespace flags, <c>clone3</c> answers ENOSYS (so the C library falls back to <c>clone</c>), and
/// <c>personality</c> may only query or keep the default. The engine takes the profile's content, not
/// a path, so it is sent with each create (about 5 KB).
/// </summary>
internal static class SandboxSeccomp
{
    private const string ResourceName = "sandbox-seccomp.json";

    /// <summary>The <c>SecurityOpt</c> entry that applies the profile.</summary>
    public static string SecurityOpt { get; } = "seccomp=" + LoadCompact();

    private static string LoadCompact()
    {
        using var stream = typeof(SandboxSeccomp).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var document = JsonDocument.Parse(stream);
        return JsonSerializer.Serialize(document.RootElement);
    }
}
