using System.Text.Json.Nodes;

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
/// <para>
/// Under gVisor (runsc registered with <c>--oci-seccomp</c>) the profile is enforced by gVisor's own
/// kernel, which answers every refused call with EPERM whatever the profile's errno says (measured
/// with runsc 20221219). A refused <c>clone3</c> would then read as EPERM, which the C library does not
/// fall back from, and no thread could start. So the gVisor variant allows <c>clone3</c>: gVisor does
/// not implement it (ENOSYS, and the fallback to <c>clone</c> works), and its namespaces are gVisor's.
/// </para>
/// </summary>
internal static class SandboxSeccomp
{
    private const string ResourceName = "sandbox-seccomp.json";

    private static readonly string RuncProfile = LoadCompact(allowClone3: false);
    private static readonly string GVisorProfile = LoadCompact(allowClone3: true);

    /// <summary>The <c>SecurityOpt</c> entry that applies the profile under <paramref name="runtime"/>.</summary>
    public static string SecurityOpt(string runtime) =>
        "seccomp=" + (runtime == SandboxContainerSpec.GVisorRuntime ? GVisorProfile : RuncProfile);

    private static string LoadCompact(bool allowClone3)
    {
        using var stream = typeof(SandboxSeccomp).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        var profile = JsonNode.Parse(stream)?.AsObject()
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is not a JSON object.");
        if (allowClone3)
        {
            var rules = profile["syscalls"]!.AsArray();
            var clone3 = rules.Single(rule => rule!["names"]!.AsArray().Select(name => name!.GetValue<string>()).SequenceEqual(["clone3"]));
            rules.Remove(clone3);
            // The plain allow-list: the ALLOW rule without argument conditions.
            var allowed = rules.Single(rule => rule!["action"]!.GetValue<string>() == "SCMP_ACT_ALLOW" && rule["args"] is null);
            allowed!["names"]!.AsArray().Add("clone3");
        }

        return profile.ToJsonString();
    }
}
