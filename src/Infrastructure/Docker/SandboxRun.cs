using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>What one sandbox has reported so far for one request; every frame is checked on arrival.</summary>
internal sealed class SandboxRun(long maxOutputBytes)
{
    public const int MaxErrorTypeChars = 200;
    public const int MaxErrorMessageChars = 4000;

    private readonly OutputCapture _stdout = new(maxOutputBytes);
    private readonly OutputCapture _stderr = new(maxOutputBytes);
    private readonly Stopwatch _codeClock = new();

    public bool Started { get; private set; }

    public RunnerResult? Result { get; private set; }

    public void Accept(RunnerFrame frame, Action onStarted)
    {
        switch (frame.Type)
        {
            case RunnerFrameType.Ready when !Started:
                break;
            case RunnerFrameType.Started when !Started:
                Started = true;
                _codeClock.Start();
                onStarted();
                break;
            case RunnerFrameType.Stdout when Started:
                _stdout.Append(frame.Payload);
                break;
            case RunnerFrameType.Stderr when Started:
                _stderr.Append(frame.Payload);
                break;
            case RunnerFrameType.Result when Started:
                _codeClock.Stop();
                Result = Parse(frame.Payload, RunnerJsonContext.Default.RunnerResult)
                    ?? throw new RunnerProtocolException("the result frame is null");
                break;
            case RunnerFrameType.RunnerError:
                var failure = Parse(frame.Payload, RunnerJsonContext.Default.RunnerFailure);
                throw new SandboxFailedException(
                    $"The sandbox runner failed: {Truncate(failure?.Message ?? "no message", MaxErrorMessageChars)}");
            default:
                throw new RunnerProtocolException($"frame '{(char)frame.Type}' out of order");
        }
    }

    public ExecutionResult ToResult(int? exitCode, bool oomKilled, ExecutionError? error) => new(
        _stdout.ToText(), _stderr.ToText(), exitCode, TimedOut: false, _codeClock.Elapsed,
        _stdout.Truncated, _stderr.Truncated, oomKilled, error);

    public ExecutionResult ToTimedOutResult() => new(
        _stdout.ToText(), _stderr.ToText(), ExitCode: null, TimedOut: true, _codeClock.Elapsed,
        _stdout.Truncated, _stderr.Truncated, OomKilled: false, Error: null);

    public static ExecutionError? ToExecutionError(RunnerError? error) =>
        error?.Type is null
            ? null
            : new ExecutionError(
                Truncate(error.Type, MaxErrorTypeChars),
                Truncate(error.Message ?? string.Empty, MaxErrorMessageChars),
                error.Line is > 0 ? error.Line : null);

    public static string Truncate(string text, int maxChars) => text.Length <= maxChars ? text : text[..maxChars];

    private static T? Parse<T>(byte[] payload, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(payload, type);
        }
        catch (JsonException ex)
        {
            throw new RunnerProtocolException($"a frame holds invalid JSON: {ex.Message}");
        }
    }
}
