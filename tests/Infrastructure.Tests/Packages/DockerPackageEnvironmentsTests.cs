using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Packages;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Infrastructure.Packages;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Tests.Docker;
using CodeInterpreter.Infrastructure.Tests.Postgres;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Packages;

/// <summary>
/// Package environments built on the real engine from a wheelhouse of test packages made from source here
/// (no network anywhere), mounted into real sandboxes.
/// </summary>
[NonParallelizable]
public sealed class DockerPackageEnvironmentsTests : RealSandboxTests
{
    private TestWheelhouse _wheelhouse = null!;

    [OneTimeSetUp]
    public void MakeWheelhouse() => _wheelhouse = TestWheelhouse.Create();

    [OneTimeTearDown]
    public async Task RemoveEnvironmentsAsync()
    {
        _wheelhouse?.Dispose();
        if (Sandbox is null)
        {
            return;
        }

        // Used sandboxes are removed off the request path; a volume is in use until its sandbox is gone
        // (this runs before the base class's tear-down, which would wait for them too late).
        await Sandbox.Removals.StopAsync(CancellationToken.None);
        var volumes = await Sandbox.Client.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SandboxLabels.Instance}={Sandbox.Options.Instance}"] = true },
            },
        });
        foreach (var volume in volumes.Volumes ?? [])
        {
            await Sandbox.Client.Volumes.RemoveAsync(volume.Name, force: true);
        }
    }

    private DockerPackageEnvironments Environments(
        bool allowSdist = false, int cacheMb = 2048, PostgresDatabase? database = null, string? instance = null)
    {
        var options = MsOptions.Create(new PackageOptions { Wheelhouse = _wheelhouse.Path, AllowSdist = allowSdist, CacheMb = cacheMb });
        var sandbox = Sandbox.Options;
        if (instance is not null)
        {
            sandbox = JsonSerializer.Deserialize<SandboxOptions>(JsonSerializer.Serialize(Sandbox.Options))!;
            sandbox.Instance = instance;
        }

        var sandboxOptions = MsOptions.Create(sandbox);
        var containers = new ContainerOperations(Sandbox.Client, new EngineResilience(), NullLogger<ContainerOperations>.Instance);
        return new(
            containers,
            new ImagePackageProbe(containers, sandboxOptions),
            new LeftoverEnvironments(containers, sandboxOptions, NullLogger<LeftoverEnvironments>.Instance),
            new EnvironmentBuildLock(database is null ? null : new Lazy<PostgresDatabase>(database), options),
            new PackageBuildNetwork(Sandbox.Client, options, NullLogger<PackageBuildNetwork>.Instance),
            options,
            sandboxOptions,
            TimeProvider.System,
            NullLogger<DockerPackageEnvironments>.Instance);
    }

    private static RequirementSet Set(params string[] lines)
    {
        RequirementSet.TryParse(lines, out var set, out var error).Should().BeTrue(error);
        return set!;
    }

    private Task<CodeInterpreter.Domain.Executions.ExecutionResult> RunWithAsync(PackageEnvironmentLease lease, string code) =>
        Sandbox.RunAsync(code, timeoutMs: 30_000, configure: r => r with { PackageEnvironment = lease.Volume });

    [Test]
    public async Task A_built_environment_is_importable_in_a_sandbox_with_its_dependency_and_is_built_once()
    {
        var environments = Environments();

        using (var lease = await environments.AcquireAsync(Set("CI_Alpha"), null, CancellationToken.None))
        {
            var result = await RunWithAsync(lease, "import ci_alpha, numpy, sys\nprint(ci_alpha.VALUE)\nprint(numpy.__file__)");
            result.Stderr.Should().BeEmpty();
            result.Stdout.Should().Be("alpha+beta\n/usr/lib/python3/dist-packages/numpy/__init__.py\n", "the image's numpy is never shadowed");
        }

        using (var again = await environments.AcquireAsync(Set("ci-alpha"), null, CancellationToken.None))
        {
            again.Volume.Should().StartWith("code-interpreter-env-");
        }

        environments.Builds.Should().Be(1, "the same set is built once");
        (await environments.ListAsync(CancellationToken.None)).Should().ContainSingle()
            .Which.Requirements.Should().Equal("ci-alpha");
    }

    [Test]
    public async Task The_image_probe_reports_the_marker_variables_requirements_are_evaluated_against()
    {
        var installed = await Environments().InstalledAsync(null, CancellationToken.None);

        installed.MarkerEnvironment.Should().Contain("sys_platform", "linux")
            .And.Contain("os_name", "posix")
            .And.Contain("implementation_name", "cpython")
            .And.ContainKeys("python_version", "python_full_version", "platform_machine", "platform_release");
        installed.MarkerEnvironment["python_full_version"].Should().StartWith(installed.MarkerEnvironment["python_version"] + ".");
        Set("ci-alpha; python_version >= '3.8'", "ci-beta; python_version < '3'")
            .TryForEnvironment(installed.MarkerEnvironment, out var applying, out _).Should().BeTrue();
        applying!.Lines.Should().Equal("ci-alpha");
    }

    [Test]
    public async Task After_a_restart_the_environments_left_on_the_engine_are_taken_back_not_built_again()
    {
        using (var lease = await Environments().AcquireAsync(Set("ci-beta==1.2.0"), null, CancellationToken.None))
        {
            lease.Volume.Should().StartWith("code-interpreter-env-");
        }

        var restarted = Environments();
        await restarted.AdoptLeftoversAsync(CancellationToken.None);

        (await restarted.ListAsync(CancellationToken.None)).Should().Contain(e => e.Requirements.SequenceEqual(new[] { "ci-beta==1.2.0" }))
            .Which.SizeBytes.Should().BePositive();
        using (var again = await restarted.AcquireAsync(Set("CI_Beta == 1.2.0"), null, CancellationToken.None))
        {
            var result = await RunWithAsync(again, "import ci_beta\nprint(ci_beta.VALUE)");
            result.Stdout.Should().Be("beta\n", result.Stderr);
        }

        restarted.Builds.Should().Be(0, "the environment was taken back, not built again");
    }

    [Test]
    public async Task A_volume_whose_build_never_finished_is_removed_at_restart_not_taken_back()
    {
        var volume = "code-interpreter-env-unfinished-" + Guid.NewGuid().ToString("N")[..8];
        await Sandbox.Client.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = volume,
            Labels = new Dictionary<string, string>
            {
                [DockerPackageEnvironments.EnvironmentLabel] = new string('a', 64),
                [LeftoverEnvironments.RequirementsLabel] = "ci-alpha",
                [SandboxLabels.Instance] = Sandbox.Options.Instance,
            },
        });

        var restarted = Environments();
        await restarted.AdoptLeftoversAsync(CancellationToken.None);

        (await restarted.ListAsync(CancellationToken.None)).Should().NotContain(e => e.Hash == new string('a', 64));
        var left = await Sandbox.Client.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [volume] = true } },
        });
        (left.Volumes ?? []).Should().BeEmpty("an unfinished build's volume is not trusted");
    }

    [Test]
    public async Task Two_replicas_on_one_engine_and_one_database_build_a_set_once_and_the_other_uses_it_until_its_builder_removes_it()
    {
        await using var database = await TestDatabase.CreateAsync();
        // A set of its own (an excluded version no one has): no environment of an earlier run on this engine matches.
        var set = $"ci-beta>=1.1,!=9.{Random.Shared.Next(1_000_000)}";
        var a = Environments(database: database.Open());
        var b = Environments(database: database.Open(), instance: Sandbox.Options.Instance + "-b");
        try
        {
            var leases = await Task.WhenAll(
                a.AcquireAsync(Set(set), null, CancellationToken.None), b.AcquireAsync(Set(set.Replace("ci-beta", "CI.Beta", StringComparison.Ordinal)), null, CancellationToken.None));
            (a.Builds + b.Builds).Should().Be(1, "one replica builds, the other waits for it and finds it");
            leases.Select(l => l.Volume).Distinct().Should().ContainSingle();
            var (builder, borrower, borrowed) = a.Builds == 1 ? (a, b, leases[1]) : (b, a, leases[0]);
            (await RunWithAsync(borrowed, "import ci_beta\nprint(ci_beta.VALUE)")).Stdout.Should().Be("beta\n");
            var hash = borrowed.Hash;
            foreach (var lease in leases)
            {
                lease.Dispose();
            }

            await Sandbox.Removals.StopAsync(CancellationToken.None);  // the runs' sandboxes gone: the volume is free
            (await builder.DeleteAsync(hash, CancellationToken.None)).Should().BeTrue();

            using var again = await borrower.AcquireAsync(Set(set), null, CancellationToken.None);
            borrower.Builds.Should().Be(1, "the borrowed environment is gone, so it is built again, never mounted empty");
            (await RunWithAsync(again, "import ci_beta\nprint(ci_beta.VALUE)")).Stdout.Should().Be("beta\n");
        }
        finally
        {
            await Sandbox.Removals.StopAsync(CancellationToken.None);
            await RemoveVolumesOfAsync(Sandbox.Options.Instance + "-b");
        }
    }

    [Test]
    public async Task A_sandbox_whose_environment_volume_was_removed_meanwhile_never_runs_with_an_empty_one()
    {
        var gone = "code-interpreter-env-gone-" + Guid.NewGuid().ToString("N")[..8];

        var run = async () => await Sandbox.RunAsync("print('ran')", configure: r => r with { PackageEnvironment = gone });

        (await run.Should().ThrowAsync<ServiceUnavailableException>()).Which.Message.Should().Contain("was removed while this run was starting");
        var left = await Sandbox.Client.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [gone] = true } },
        });
        (left.Volumes ?? []).Should().BeEmpty("the empty volume the mount made is removed");
    }

    private async Task RemoveVolumesOfAsync(string instance)
    {
        var volumes = await Sandbox.Client.Volumes.ListAsync(new VolumesListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SandboxLabels.Instance}={instance}"] = true },
            },
        });
        foreach (var volume in volumes.Volumes ?? [])
        {
            await Sandbox.Client.Volumes.RemoveAsync(volume.Name, force: true);
        }
    }

    [Test]
    public async Task Concurrent_first_requests_for_one_set_wait_for_one_build()
    {
        var environments = Environments();

        var leases = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => environments.AcquireAsync(Set("ci-beta==1.2.0"), null, CancellationToken.None)));

        environments.Builds.Should().Be(1);
        leases.Select(l => l.Volume).Distinct().Should().ContainSingle();
        foreach (var lease in leases)
        {
            lease.Dispose();
        }
    }

    [Test]
    public async Task A_package_the_source_lacks_fails_the_build_with_pips_words_and_is_not_cached()
    {
        var environments = Environments();

        var build = async () => await environments.AcquireAsync(Set("ci-nowhere"), null, CancellationToken.None);

        (await build.Should().ThrowAsync<RequestValidationException>()).Which.Message
            .Should().Contain("failed (pip)").And.Contain("No matching distribution found for ci-nowhere");
        await build.Should().ThrowAsync<RequestValidationException>("a failed build is retried, not remembered as built");
        environments.Builds.Should().Be(2);
        (await environments.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Test]
    public async Task A_pin_conflicting_with_the_images_own_package_fails_with_pips_message()
    {
        var build = async () => await Environments().AcquireAsync(Set("numpy<1.0"), null, CancellationToken.None);

        (await build.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().Contain("numpy");
    }

    [Test]
    public async Task A_source_only_package_is_refused_unless_source_builds_are_allowed()
    {
        var refused = async () => await Environments().AcquireAsync(Set("ci-gamma"), null, CancellationToken.None);
        (await refused.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().Contain("ci-gamma");

        using var lease = await Environments(allowSdist: true).AcquireAsync(Set("ci-gamma"), null, CancellationToken.None);
        (await RunWithAsync(lease, "import ci_gamma; print(ci_gamma.VALUE)")).Stdout.Should().Be("gamma\n");
    }

    [Test]
    public async Task The_mounted_environment_is_read_only_and_the_sandbox_still_has_only_loopback()
    {
        using var lease = await Environments().AcquireAsync(Set("ci-beta"), null, CancellationToken.None);

        var result = await RunWithAsync(lease, """
            import os, socket, ci_beta
            try:
                open(os.path.join(os.path.dirname(ci_beta.__file__), 'evil.py'), 'w')
                print('wrote')
            except OSError as e:
                print('refused', e.errno)
            print(sorted(name for _, name in socket.if_nameindex()))
            """);

        result.Stdout.Should().Be("refused 30\n['lo']\n");
    }

    [Test]
    public async Task Environments_not_in_use_are_evicted_least_recently_used_first_when_the_cache_is_over_its_size()
    {
        var environments = Environments(cacheMb: 0);
        string first;
        using (var lease = await environments.AcquireAsync(Set("ci-beta>=1"), null, CancellationToken.None))
        {
            first = lease.Hash;
        }

        using var held = await environments.AcquireAsync(Set("ci-alpha>=1"), null, CancellationToken.None);

        var listed = await environments.ListAsync(CancellationToken.None);
        listed.Select(e => e.Hash).Should().Equal(held.Hash);
        listed.Single().SizeBytes.Should().BePositive();
        (await Sandbox.Client.Volumes.ListAsync(CancellationToken.None)).Volumes.Select(v => v.Name).Should().NotContain("code-interpreter-env-" + first[..32]);
    }
}
