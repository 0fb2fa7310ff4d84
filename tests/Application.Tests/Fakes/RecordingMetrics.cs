using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>Keeps every execution counted.</summary>
internal sealed class RecordingMetrics : IExecutionMetrics
{
    public List<(ExecutionOutcome Outcome, TimeSpan? CodeDuration)> Recorded { get; } = [];

    public void Record(ExecutionOutcome outcome, TimeSpan? codeDuration) => Recorded.Add((outcome, codeDuration));
}
