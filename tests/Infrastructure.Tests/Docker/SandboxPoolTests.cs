using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SandboxPoolTests
{
    private const string ShowsPreload = "import sys\nprint('pandas' in sys.modules)";

    [OneTimeSetUp]
    public async Task RequireEngineAsync() => await RealEngine.RequireAsync();

    [Test]
    public async Task A_request_runs_on_a_warm_sandbox_with_its_modules_preloaded_and_the_pool_refills()
    {
        await using var sandbox = new SandboxFixture(poolSize: 1);
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(1);

        var result = await sandbox.RunAsync(ShowsPreload);

        result.Stdout.Should().Be("True\n", "the warm sandbox imported pandas before the request came");
        await sandbox.WaitForWarmAsync(1);
        (await RealEngine.EventuallyAsync(async () => await RealEngine.CountSandboxesAsync(sandbox.Options.Instance) == 1, TimeSpan.FromSeconds(10)))
            .Should().BeTrue("the used sandbox is destroyed; only the refilled one remains");
    }

    [Test]
    public async Task A_warm_sandbox_is_never_reused()
    {
        await using var sandbox = new SandboxFixture(poolSize: 2, preload: "");
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(2);

        await sandbox.RunAsync("open('/workspace/marker', 'w').write('x')\nimport builtins\nbuiltins.LEFTOVER = 1");
        await sandbox.WaitForWarmAsync(2);
        var second = await sandbox.RunAsync("import os, builtins\nprint(os.listdir('/workspace'), hasattr(builtins, 'LEFTOVER'))");

        second.Stdout.Should().Be("[] False\n");
    }

    [Test]
    public async Task Without_a_pool_every_request_takes_the_cold_path()
    {
        await using var sandbox = new SandboxFixture(poolSize: 0);
        await sandbox.StartPoolAsync();

        var result = await sandbox.RunAsync(ShowsPreload);

        result.Stdout.Should().Be("False\n");
        sandbox.Pool.WarmCount.Should().Be(0);
    }

    [Test]
    public async Task A_request_needing_another_memory_limit_takes_the_cold_path()
    {
        await using var sandbox = new SandboxFixture(poolSize: 1);
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(1);

        var result = await sandbox.RunAsync(ShowsPreload + "\nprint(open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read().strip())", memoryMb: 300);

        result.Stdout.Should().Be($"False\n{300 * 1024 * 1024}\n");
        sandbox.Pool.WarmCount.Should().Be(1, "the warm sandbox was not taken");
    }

    [Test]
    public async Task Sandboxes_that_vanish_while_parked_are_replaced_and_no_request_fails()
    {
        await using var sandbox = new SandboxFixture(poolSize: 2, preload: "");
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(2);

        // What an engine restart does to parked sandboxes: they disappear under the pool.
        var parked = await sandbox.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = SandboxLabels.FilterFor(sandbox.Options.Instance),
        });
        foreach (var container in parked)
        {
            await sandbox.Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        }

        var result = await sandbox.RunAsync("print('served')");

        result.Stdout.Should().Be("served\n");
        await sandbox.WaitForWarmAsync(2);
    }

    [Test]
    public async Task Shutdown_drains_the_pool()
    {
        var sandbox = new SandboxFixture(poolSize: 2, preload: "");
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(2);

        await sandbox.DisposeAsync();

        (await RealEngine.CountSandboxesAsync(sandbox.Options.Instance)).Should().Be(0);
    }

    [Test]
    public async Task A_request_that_finds_the_pool_empty_takes_the_next_sandbox_before_it_imports_its_preloads()
    {
        await using var sandbox = new SandboxFixture(poolSize: 1);
        await sandbox.StartPoolAsync();

        // Sent at once: the pool's only sandbox is still being created, so the request waits for it.
        var first = await sandbox.RunAsync(ShowsPreload);

        first.Stdout.Should().Be("False\n", "a request was waiting, so the sandbox skipped its preloads");
        sandbox.Pool.BootedHandovers.Should().Be(1, "the waiting request got the pool's sandbox, not a cold one");
        await sandbox.WaitForWarmAsync(1);
        var second = await sandbox.RunAsync(ShowsPreload);
        second.Stdout.Should().Be("True\n", "with nobody waiting the refill imported its preloads");
    }

    [Test]
    public async Task While_requests_wait_the_pool_parks_sandboxes_without_their_preloads_and_imports_them_once_calm()
    {
        await using var sandbox = new SandboxFixture(poolSize: 2, preloadAfterIdleMs: 600_000);
        await sandbox.StartPoolAsync();

        // Sent at once: it waits, so for the next ten minutes the pool counts as busy.
        (await sandbox.RunAsync(ShowsPreload)).Stdout.Should().Be("False\n");
        (await RealEngine.EventuallyAsync(() => Task.FromResult(sandbox.Pool.BootedCount >= 1), TimeSpan.FromSeconds(60)))
            .Should().BeTrue("a sandbox that boots with nobody waiting in a busy pool is parked as it is");
        var leased = await sandbox.RunAsync(ShowsPreload);

        leased.Stdout.Should().Be("False\n", "the parked sandbox served the request without importing its preloads");
        sandbox.Pool.WarmCount.Should().Be(0, "no preloads are imported while the pool is busy");

        sandbox.PoolOptions.PreloadAfterIdleMs = 0;  // calm from now on
        await sandbox.WaitForWarmAsync(2);
        sandbox.Pool.BootedCount.Should().Be(0);
        (await sandbox.RunAsync(ShowsPreload)).Stdout.Should().Be("True\n", "once calm, parked sandboxes import their preloads");
    }

    [Test]
    public async Task Concurrent_requests_beyond_the_pool_are_all_served_by_sandboxes_it_starts_for_them()
    {
        await using var sandbox = new SandboxFixture(poolSize: 1, preload: "json");
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(1);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => sandbox.RunAsync($"print({i} * 7)")));

        results.Select(r => r.Stdout).Should().BeEquivalentTo(Enumerable.Range(0, 6).Select(i => $"{i * 7}\n"));
        sandbox.Pool.BootedHandovers.Should().BeGreaterThanOrEqualTo(1);
    }

    [Test]
    public async Task Shutdown_while_sandboxes_are_being_created_leaves_no_container()
    {
        var sandbox = new SandboxFixture(poolSize: 3);
        await sandbox.StartPoolAsync();
        (await RealEngine.EventuallyAsync(async () => await RealEngine.CountSandboxesAsync(sandbox.Options.Instance) > 0, TimeSpan.FromSeconds(30)))
            .Should().BeTrue("the pool starts creating sandboxes");

        await sandbox.DisposeAsync();

        (await RealEngine.CountSandboxesAsync(sandbox.Options.Instance)).Should().Be(0);
    }

    [Test]
    public async Task A_request_cancelled_while_its_sandbox_is_being_created_leaves_no_container()
    {
        var sandbox = new SandboxFixture(poolSize: 0);
        using var cancel = new CancellationTokenSource();
        var run = sandbox.RunAsync("import time\ntime.sleep(30)", timeoutMs: 60_000, cancellationToken: cancel.Token);
        (await RealEngine.EventuallyAsync(async () => await RealEngine.CountSandboxesAsync(sandbox.Options.Instance) > 0 || run.IsCompleted, TimeSpan.FromSeconds(30)))
            .Should().BeTrue();

        await cancel.CancelAsync();
        var ended = async () => await run;

        await ended.Should().ThrowAsync<OperationCanceledException>();
        await sandbox.DisposeAsync();
        (await RealEngine.CountSandboxesAsync(sandbox.Options.Instance)).Should().Be(0);
    }

    [Test]
    public async Task Stopped_sandboxes_whose_removal_failed_are_removed_after_the_grace_and_running_ones_stay()
    {
        await using var sandbox = new SandboxFixture(poolSize: 1, preload: "");
        await sandbox.StartPoolAsync();
        await sandbox.WaitForWarmAsync(1);
        // What a removal that failed while the engine was away leaves: one exited, one never started.
        var exited = await CreateLabelledAsync(sandbox);
        await sandbox.Client.Containers.StartContainerAsync(exited, new ContainerStartParameters());
        await sandbox.Client.Containers.WaitContainerAsync(exited);
        var neverStarted = await CreateLabelledAsync(sandbox);
        var reaper = new SandboxReaper(sandbox.Client, Microsoft.Extensions.Options.Options.Create(sandbox.Options), NullLogger<SandboxReaper>.Instance);

        (await reaper.RemoveLeftoversAsync(TimeSpan.FromHours(1), CancellationToken.None)).Should().Be(0, "both stopped less than an hour ago");
        var removed = await reaper.RemoveLeftoversAsync(TimeSpan.Zero, CancellationToken.None);

        removed.Should().Be(2);
        (await RealEngine.ContainerExistsAsync(exited)).Should().BeFalse();
        (await RealEngine.ContainerExistsAsync(neverStarted)).Should().BeFalse();
        (await RealEngine.CountSandboxesAsync(sandbox.Options.Instance)).Should().Be(1, "the running warm sandbox is not touched");
        (await sandbox.RunAsync("print('still served')")).Stdout.Should().Be("still served\n");
    }

    private static async Task<string> CreateLabelledAsync(SandboxFixture sandbox) =>
        (await sandbox.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = RealEngine.ExecutorImage,
            Cmd = ["true"],
            NetworkDisabled = true,
            Labels = new Dictionary<string, string>
            {
                [SandboxLabels.Sandbox] = "true",
                [SandboxLabels.Instance] = sandbox.Options.Instance,
            },
            HostConfig = new HostConfig { NetworkMode = "none" },
        })).ID;

    [Test]
    public async Task Orphans_of_the_instance_are_reaped_and_other_instances_are_left_alone()
    {
        await using var mine = new SandboxFixture(poolSize: 1, preload: "");
        await using var other = new SandboxFixture(poolSize: 1, preload: "");
        await mine.StartPoolAsync();
        await other.StartPoolAsync();
        await mine.WaitForWarmAsync(1);
        await other.WaitForWarmAsync(1);
        var reaper = new SandboxReaper(mine.Client, Microsoft.Extensions.Options.Options.Create(mine.Options), NullLogger<SandboxReaper>.Instance);

        var reaped = await reaper.RemoveOrphansAsync(CancellationToken.None);

        reaped.Should().BeGreaterThanOrEqualTo(1);
        (await RealEngine.CountSandboxesAsync(other.Options.Instance)).Should().Be(1);
    }
}
