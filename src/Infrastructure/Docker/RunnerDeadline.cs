using System.Diagnostics;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// The service's deadline for one exchange with a runner: first an allowance for the runner to boot or
/// start the code, then (<see cref="Reset"/>) the code's timeout from the start frame, or the time a
/// session gets to recover from an interrupt. Every wait for a frame gets what is left
/// (<see cref="RunnerConnection.NextFrameAsync(RunnerDeadline, CancellationToken)"/>).
/// </summary>
internal sealed class RunnerDeadline(TimeSpan first)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _at = first;

    /// <summary>What is left of it; zero or less once it has passed.</summary>
    public TimeSpan Remaining => _at - _clock.Elapsed;

    /// <summary>Moves the deadline to <paramref name="fromNow"/> from now.</summary>
    public void Reset(TimeSpan fromNow) => _at = _clock.Elapsed + fromNow;
}
