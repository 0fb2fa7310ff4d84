namespace CodeInterpreter.Bench;

/// <summary>The service process's resident memory now and at its peak (VmRSS, VmHWM), in MiB.</summary>
internal sealed record ServiceMemory(double ResidentMb, double PeakResidentMb);
