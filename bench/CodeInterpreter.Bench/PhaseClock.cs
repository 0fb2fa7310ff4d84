using System.Diagnostics;

namespace CodeInterpreter.Bench;

/// <summary>Wall time and the machine's busy CPU time since a phase started.</summary>
internal sealed class PhaseClock
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly MachineCpu _cpu = MachineCpu.Now();

    public TimeSpan Wall => _wall.Elapsed;

    public TimeSpan CpuBusy => MachineCpu.Now() - _cpu;
}
