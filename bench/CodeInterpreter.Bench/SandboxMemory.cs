namespace CodeInterpreter.Bench;

/// <summary>Memory of the warm pooled sandboxes, in MiB, as `docker stats` counts it (usage minus inactive page cache).</summary>
internal sealed record SandboxMemory(int Sandboxes, double MinMb, double AverageMb, double MaxMb, double AverageRawUsageMb);
