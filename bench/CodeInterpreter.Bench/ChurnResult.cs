namespace CodeInterpreter.Bench;

/// <summary>Containers created, started, waited for and removed, with how long that took.</summary>
internal sealed record ChurnResult(int Containers, int Parallelism, TimeSpan Wall, LatencySummary PerContainer, int Failures, TimeSpan CpuBusy)
{
    /// <summary>Machine CPU milliseconds per completed cycle.</summary>
    public double CpuMsPerContainer => MachineCpu.MsPer(CpuBusy, Containers - Failures);

    /// <summary>Completed create-to-remove cycles per second.</summary>
    public double Rate => Wall > TimeSpan.Zero ? (Containers - Failures) / Wall.TotalSeconds : 0;
}
