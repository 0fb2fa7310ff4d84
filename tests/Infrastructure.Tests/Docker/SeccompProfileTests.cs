using System.Text.Json;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>What the engine reports of a real sandbox: the profile the service sent is the one it runs under.</summary>
[TestFixture]
public sealed class SeccompProfileTests
{
    private SandboxFixture _sandbox = null!;

    [OneTimeSetUp]
    public async Task StartPool()
    {
        _sandbox = new SandboxFixture(poolSize: 1, preload: "");
        await _sandbox.StartPoolAsync();
        await _sandbox.WaitForWarmAsync(1);
    }

    [OneTimeTearDown]
    public async Task StopPool() => await _sandbox.DisposeAsync();

    [Test]
    public async Task Docker_inspect_of_a_sandbox_shows_the_service_s_seccomp_profile_apparmor_and_no_new_privileges()
    {
        var containers = await _sandbox.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SandboxLabels.Instance}={_sandbox.Options.Instance}"] = true },
            },
        });
        containers.Should().NotBeEmpty();

        var inspect = await _sandbox.Client.Containers.InspectContainerAsync(containers[0].ID);

        var options = inspect.HostConfig?.SecurityOpt ?? [];
        options.Should().Contain("no-new-privileges");
        options.Should().Contain("apparmor=docker-default", "where AppArmor is active the sandbox runs under Docker's profile");
        var seccomp = options.Should().ContainSingle(option => option.StartsWith("seccomp=", StringComparison.Ordinal)).Subject;
        using var profile = JsonDocument.Parse(seccomp["seccomp=".Length..]);
        profile.RootElement.GetProperty("defaultAction").GetString().Should().Be("SCMP_ACT_ERRNO");
        var allowed = profile.RootElement.GetProperty("syscalls")
            .EnumerateArray()
            .Where(rule => rule.GetProperty("action").GetString() == "SCMP_ACT_ALLOW" && !rule.TryGetProperty("args", out _))
            .SelectMany(rule => rule.GetProperty("names").EnumerateArray().Select(name => name.GetString()))
            .ToList();
        allowed.Should().Contain(["read", "write", "execve", "wait4"]);
        allowed.Should().NotContain(["ptrace", "bpf", "io_uring_setup", "unshare", "mount", "keyctl", "clone", "clone3"]);
    }
}
