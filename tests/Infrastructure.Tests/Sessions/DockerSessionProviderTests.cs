using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Sessions;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>The session provider and its reaper on the real engine, with their own instance label.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DockerSessionProviderTests
{
    private IDockerClient _docker = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _docker = RealEngine.CreateClient();
    }

    [OneTimeTearDown]
    public void Stop() => _docker?.Dispose();

    private (DockerSessionProvider Provider, SessionReaper Reaper) Create() => RealSessions.Create(_docker);

    private static SandboxRequest Cell(string code, int timeoutSec = 10, int cpuTimeLimitSec = 5) =>
        RealSessions.Cell(code, timeoutSec, cpuTimeLimitSec);

    private async Task<int> CountContainersAsync(string sessionId)
    {
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SessionLabels.SessionId}={sessionId}"] = true },
            },
        });
        return containers.Count;
    }

    [Test]
    public async Task Stopping_the_reaper_closes_every_session_and_removes_its_sandbox()
    {
        var (provider, reaper) = Create();
        await reaper.StartAsync(CancellationToken.None);
        var first = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);
        var second = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        await reaper.StopAsync(CancellationToken.None);

        (await CountContainersAsync(first.SessionId)).Should().Be(0);
        (await CountContainersAsync(second.SessionId)).Should().Be(0);
        (await provider.ExecuteAsync(first.SessionId, Cell("print(1)"), CancellationToken.None)).Should().BeNull();
        reaper.Dispose();
    }

    [Test]
    public async Task A_session_whose_sandbox_dies_fails_its_call_with_502_and_is_closed()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SessionLabels.SessionId}={session.SessionId}"] = true },
            },
        });
        await _docker.Containers.KillContainerAsync(containers.Single().ID, new ContainerKillParameters { Signal = "KILL" });

        var call = () => provider.ExecuteAsync(session.SessionId, Cell("print(1)"), CancellationToken.None);

        await call.Should().ThrowAsync<SandboxFailedException>().WithMessage("*session was closed*");
        (await call()).Should().BeNull("the broken session is closed");
        (await CountContainersAsync(session.SessionId)).Should().Be(0);
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task Each_cell_reports_its_own_cpu_time_and_the_sessions_peak_memory()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 512), CancellationToken.None);

        var idle = await provider.ExecuteAsync(session.SessionId, Cell("x = 1"), CancellationToken.None);
        var busy = await provider.ExecuteAsync(
            session.SessionId,
            Cell("import time\nblock = b'\\x01' * (100 * 1024 * 1024)\nstart = time.process_time()\nwhile time.process_time() - start < 0.5:\n    pass"),
            CancellationToken.None);

        busy!.Execution.ExitCode.Should().Be(0, busy.Execution.Stderr);
        idle!.Execution.Usage!.CpuMs.Should().BeLessThan(200, "a cell that does nothing costs next to nothing");
        // The loop is 500 ms of the cell's own CPU; filling 100 MiB (page faults, charged to the sandbox's cgroup)
        // stayed under 200 ms in earlier CI runs and measured 260-500 ms on this machine late in a day of builds, with the runner
        // before and after issue 18's change alike. The bound still tells a cell's own time from the session's.
        busy.Execution.Usage!.CpuMs.Should().BeInRange(400, 1200, "half a second of loop plus filling 100 MiB");
        (busy.Execution.Usage.PeakMemoryBytes - idle.Execution.Usage.PeakMemoryBytes)
            .Should().BeInRange(90L * 1024 * 1024, 110L * 1024 * 1024);
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task A_dataframe_shown_in_a_cell_is_an_output_of_that_cell_only()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        var load = await provider.ExecuteAsync(
            session.SessionId, Cell("import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})\ndisplay(df)"), CancellationToken.None);
        var echo = await provider.ExecuteAsync(session.SessionId, Cell("df"), CancellationToken.None);

        load!.Execution.Outputs.Should().ContainSingle().Which.Type.Should().Be("display_data");
        var item = echo!.Execution.Outputs.Should().ContainSingle().Subject;
        item.Type.Should().Be("execute_result");
        item.Data["text/html"].Should().Contain("<table");
        item.Data["application/json"].Should().Contain("\"records\": [{\"a\": 1}, {\"a\": 2}]");
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task A_cell_sees_the_files_the_session_was_opened_with_and_what_earlier_cells_did()
    {
        var (provider, reaper) = Create();
        WorkspacePath.TryParse("in/a.txt", out var path, out _).Should().BeTrue();
        var spec = new SessionSpec(TimeSpan.FromHours(1), 256) { InputFiles = [new SandboxInputFile(path!, "hello"u8.ToArray())] };
        var session = await provider.OpenAsync(spec, CancellationToken.None);

        await provider.ExecuteAsync(session.SessionId, Cell("text = open('in/a.txt').read()"), CancellationToken.None);
        var result = await provider.ExecuteAsync(session.SessionId, Cell("text.upper()"), CancellationToken.None);

        result!.Execution.Stdout.Should().Be("'HELLO'\n");
        result.InterpreterRestarted.Should().BeFalse();
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task A_cell_that_lifts_its_own_cpu_limit_is_still_stopped_at_its_cpu_time()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        var result = await provider.ExecuteAsync(session.SessionId, Cell(
            "import resource\n" +
            "resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n" +
            "print('lifted', resource.getrlimit(resource.RLIMIT_CPU), flush=True)\n" +
            "while True:\n" +
            "    pass", timeoutSec: 60, cpuTimeLimitSec: 2), CancellationToken.None);

        result!.Execution.Stdout.Should().Be("lifted (-1, -1)\n", "the rlimit itself can be lifted: the supervisor's count cannot");
        result.Execution.TimedOut.Should().BeFalse("2 s of CPU (plus 1 s of grace) end the cell long before its 60 s deadline");
        result.Execution.ExitCode.Should().Be(128 + 24, "stopped as RLIMIT_CPU would have stopped it (SIGXCPU)");
        (await provider.ExecuteAsync(session.SessionId, Cell("print('next cell')"), CancellationToken.None))!
            .Execution.Stdout.Should().Be("next cell\n");
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task Stopping_a_cell_stops_the_processes_it_started_even_those_that_left_its_process_group()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        var stopped = await provider.ExecuteAsync(session.SessionId, Cell(
            "import subprocess, sys, time\n" +
            "subprocess.Popen([sys.executable, '-c', 'import os, time\\nos.setsid()\\nwhile True: time.sleep(0.01)'])\n" +
            "subprocess.Popen(['sleep', '600'])\n" +
            "print('started', flush=True)\n" +
            "time.sleep(600)", timeoutSec: 3), CancellationToken.None);
        var survivors = await provider.ExecuteAsync(session.SessionId, Cell(
            "import os\n" +
            "def command(pid):\n" +
            "    try:\n" +
            "        return open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode().strip()\n" +
            "    except OSError:\n" +
            "        return None\n" +
            "others = [command(p) for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n" +
            "print([c for c in others if c])"), CancellationToken.None);

        stopped!.Execution.Stdout.Should().Be("started\n");
        stopped.Execution.TimedOut.Should().BeTrue();
        survivors!.Execution.Stdout.Should().Be("[]\n", "neither the setsid() child nor the plain one outlives the stopped cell");
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }
}
