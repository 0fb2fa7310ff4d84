using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// <c>usage</c> against the real runner: CPU time and peak memory are measured from the sandbox's cgroup,
/// so what the code burns and allocates shows within a tolerance (CPU time, not wall time: robust on a loaded machine).
/// </summary>
[TestFixture]
public sealed class ExecutionUsageTests : RealSandboxTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    public async Task Cpu_time_of_code_that_burns_half_a_second_is_reported_within_20_percent()
    {
        var result = await Sandbox.RunAsync(
            "import time\nstart = time.process_time()\nwhile time.process_time() - start < 0.5:\n    pass", timeoutMs: 30_000);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Usage!.CpuMs.Should().BeInRange(400, 600);
        result.Usage.WallMs.Should().BeGreaterThanOrEqualTo(400, "CPU time on one core cannot outrun the wall clock");
    }

    [Test]
    public async Task Peak_memory_grows_by_what_the_code_allocates_within_10_percent()
    {
        var baseline = await Sandbox.RunAsync("x = 1", timeoutMs: 30_000);
        var allocating = await Sandbox.RunAsync("block = b'\\x01' * (100 * 1024 * 1024)", timeoutMs: 30_000, memoryMb: 512);

        allocating.ExitCode.Should().Be(0, allocating.Stderr);
        var grown = allocating.Usage!.PeakMemoryBytes - baseline.Usage!.PeakMemoryBytes;
        grown.Should().BeInRange(90 * MiB, 110 * MiB, $"baseline {baseline.Usage.PeakMemoryBytes}, with the block {allocating.Usage.PeakMemoryBytes}");
    }

    [Test]
    public async Task A_timed_out_run_reports_its_wall_time_and_no_runner_measurement()
    {
        var result = await Sandbox.RunAsync("while True:\n    pass", timeoutMs: 1_000);

        result.TimedOut.Should().BeTrue();
        result.Usage.Should().Be(new ExecutionUsage(CpuMs: null, PeakMemoryBytes: null, result.Usage!.WallMs));
        result.Usage.WallMs.Should().BeGreaterThanOrEqualTo(1_000);
    }
}
