using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// What one sandbox has reported so far for one request. Every frame is checked on arrival: output is
/// capped, generated files are re-validated (path, size, count, total) before they are stored, and
/// the result's lists are bounded, because the code in the sandbox can forge any of it.
/// </summary>
internal sealed class SandboxRun(SandboxRequest request)
{
    public const int MaxErrorTypeChars = 200;
    public const int MaxErrorMessageChars = 4000;
    private const int MaxListedEntries = 1000;
    private const int MaxReasonChars = 200;

    /// <summary>Most UTF-8 bytes of a reported expression value (the runner's MAX_EXPRESSION_VALUE_BYTES), also at most MAX_OUTPUT_BYTES.</summary>
    public const int MaxExpressionValueBytes = 64 * 1024;

    /// <summary>What an expression value can add to the result frame: ASCII JSON spends at most 6 bytes per UTF-8 byte.</summary>
    private const int MaxExpressionValueJsonBytes = 6 * MaxExpressionValueBytes;

    private readonly OutputCapture _stdout = new(request.Limits.MaxOutputBytes);
    private readonly OutputCapture _stderr = new(request.Limits.MaxOutputBytes);
    private readonly Stopwatch _codeClock = new();
    private readonly Decoder _stdoutDecoder = Encoding.UTF8.GetDecoder();
    private readonly Decoder _stderrDecoder = Encoding.UTF8.GetDecoder();
    private readonly List<WorkspaceEntry> _files = [];
    private readonly List<DroppedFile> _dropped = [];
    private readonly HashSet<string> _filePaths = new(StringComparer.Ordinal);
    private readonly DisplayOutputs _outputs = new(request.Limits);
    private long _fileBytes;

    public bool Started { get; private set; }

    public RunnerResult? Result { get; private set; }

    /// <summary>The frame bounds for this request: file frames only when files are collected.</summary>
    public RunnerFrameLimits FrameLimits => new(
        MaxResultBytes: (1 << 20) + (request.EvalLastExpression ? MaxExpressionValueJsonBytes : 0),
        MaxFileBytes: request.GeneratedFiles is null ? 0 : Math.Min(request.Limits.MaxGeneratedBytes, Array.MaxLength - RunnerFrameLimits.MaxFileHeaderBytes),
        MaxDisplayBytes: DisplayOutputs.MaxItemBytes(request.Limits));

    public async ValueTask AcceptAsync(RunnerFrame frame, Action onStarted, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case RunnerFrameType.Ready when !Started:
                break;
            case RunnerFrameType.Started when !Started:
                Started = true;
                _codeClock.Start();
                onStarted();
                if (request.Observer is not null)
                {
                    await request.Observer.OnStartedAsync(cancellationToken).ConfigureAwait(false);
                }

                break;
            case RunnerFrameType.Stdout when Started:
                await RelayOutputAsync(OutputChannel.Stdout, _stdout, _stdoutDecoder, frame.Payload, cancellationToken).ConfigureAwait(false);
                break;
            case RunnerFrameType.Stderr when Started:
                await RelayOutputAsync(OutputChannel.Stderr, _stderr, _stderrDecoder, frame.Payload, cancellationToken).ConfigureAwait(false);
                break;
            case RunnerFrameType.Display when Started:
                if (_outputs.Accept(frame.Payload) is { } output && request.Observer is not null)
                {
                    await request.Observer.OnDisplayAsync(output, cancellationToken).ConfigureAwait(false);
                }

                break;
            case RunnerFrameType.File when Started && request.GeneratedFiles is not null:
                _codeClock.Stop();
                await AcceptFileAsync(frame.Payload, request.GeneratedFiles, cancellationToken).ConfigureAwait(false);
                break;
            case RunnerFrameType.Result when Started:
                _codeClock.Stop();
                Result = Parse(frame.Payload, RunnerJsonContext.Default.RunnerResult)
                    ?? throw new RunnerProtocolException("the result frame is null");
                _outputs.RunnerDropped(Result.OutputsDropped);
                break;
            case RunnerFrameType.RunnerError:
                var failure = Parse(frame.Payload, RunnerJsonContext.Default.RunnerFailure);
                throw new SandboxFailedException(
                    $"The sandbox runner failed: {Truncate(failure?.Message ?? "no message", MaxErrorMessageChars)}");
            default:
                throw new RunnerProtocolException($"frame '{(char)frame.Type}' out of order");
        }
    }

    public ExecutionResult ToResult(int? exitCode, bool oomKilled) =>
        new ExecutionResult(
            _stdout.ToText(), _stderr.ToText(), exitCode, TimedOut: false, _codeClock.Elapsed,
            _stdout.Truncated, _stderr.Truncated, oomKilled, ToExecutionError(Result?.Error))
        {
            Files = [.. _files, .. Directories()],
            FilesDropped = [.. _dropped, .. RunnerDropped()],
            LastExpressionValue = request.EvalLastExpression ? ExpressionValue(Result?.LastExpressionValue) : null,
            Usage = Usage(Result?.Usage),
            Outputs = [.. _outputs.Items],
            OutputsTruncated = _outputs.Truncated,
        };

    public ExecutionResult ToTimedOutResult() => new(
        _stdout.ToText(), _stderr.ToText(), ExitCode: null, TimedOut: true, _codeClock.Elapsed,
        _stdout.Truncated, _stderr.Truncated, OomKilled: false, Error: null)
    {
        Usage = Usage(reported: null),
        Outputs = [.. _outputs.Items],
        OutputsTruncated = _outputs.Truncated,
    };

    /// <summary>
    /// The runner's measurements, each dropped when it is not a plausible number; its wall time never
    /// exceeds what the service itself saw between the start frame and the end of the code (its duration_ms, rounded alike).
    /// </summary>
    private ExecutionUsage Usage(RunnerUsage? reported)
    {
        var serviceWallMs = (long)Math.Round(_codeClock.Elapsed.TotalMilliseconds);
        var wallMs = reported?.WallMs is >= 0 and var wall ? Math.Min(wall, serviceWallMs) : serviceWallMs;
        return new ExecutionUsage(
            reported?.CpuMs is >= 0 and var cpu ? cpu : null,
            reported?.PeakMemoryBytes is >= 0 and var peak ? peak : null,
            wallMs);
    }

    private async ValueTask RelayOutputAsync(
        OutputChannel stream, OutputCapture capture, Decoder decoder, byte[] payload, CancellationToken cancellationToken)
    {
        var kept = capture.Append(payload);
        if (request.Observer is null || kept == 0)
        {
            return;
        }

        // The decoder keeps a character cut between two chunks until its next bytes arrive.
        var chars = new char[decoder.GetCharCount(payload, 0, kept, flush: false)];
        var count = decoder.GetChars(payload, 0, kept, chars, 0, flush: false);
        if (count > 0)
        {
            await request.Observer.OnOutputAsync(stream, new string(chars, 0, count), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AcceptFileAsync(byte[] payload, IGeneratedFileSink sink, CancellationToken cancellationToken)
    {
        if (payload.Length < 4)
        {
            throw new RunnerProtocolException("a file frame without its header");
        }

        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (headerLength > payload.Length - 4)
        {
            throw new RunnerProtocolException("a file frame whose header overruns it");
        }

        var header = Parse(payload.AsMemory(4, (int)headerLength), RunnerJsonContext.Default.RunnerFileHeader)
            ?? throw new RunnerProtocolException("a file frame with a null header");
        var content = payload.AsMemory(4 + (int)headerLength);
        if (header.Size != content.Length)
        {
            throw new RunnerProtocolException($"a file frame announces {header.Size} bytes but carries {content.Length}");
        }

        var rawPath = Truncate(header.Path ?? string.Empty, WorkspacePath.MaxLength + 1);
        if (!WorkspacePath.TryParse(header.Path, out var path, out var error))
        {
            Drop(rawPath, $"invalid path: {error}");
        }
        else if (!_filePaths.Add(path!.Value))
        {
            Drop(path.Value, "sent twice");
        }
        else if (_files.Count >= request.Limits.MaxGeneratedFiles)
        {
            Drop(path.Value, "max files");
        }
        else if (_fileBytes + content.Length > request.Limits.MaxGeneratedBytes)
        {
            Drop(path.Value, "total size bound");
        }
        else
        {
            await StoreAsync(path, content, sink, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stores a generated file; one the file store has no room for is listed as dropped, with the limit.</summary>
    private async Task StoreAsync(WorkspacePath path, ReadOnlyMemory<byte> content, IGeneratedFileSink sink, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await sink.StoreAsync(path, content, cancellationToken).ConfigureAwait(false);
            _fileBytes += content.Length;
            _files.Add(new WorkspaceEntry(path.Value, WorkspaceEntry.FileKind, stored.FileId, stored.SizeBytes));
        }
        catch (StorageQuotaExceededException full)
        {
            Drop(path.Value, full.Reason);
        }
    }

    private void Drop(string path, string reason)
    {
        if (_dropped.Count < MaxListedEntries)
        {
            _dropped.Add(new DroppedFile(path, Truncate(reason, MaxReasonChars)));
        }
    }

    private IEnumerable<WorkspaceEntry> Directories() =>
        (Result?.Directories ?? [])
            .Take(MaxListedEntries)
            .Select(raw => WorkspacePath.TryParse(raw, out var path, out _) ? path!.Value : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Select(path => new WorkspaceEntry(path, WorkspaceEntry.DirectoryKind, FileId: null, SizeBytes: null));

    private IEnumerable<DroppedFile> RunnerDropped() =>
        (Result?.FilesDropped ?? [])
            .Take(Math.Max(0, MaxListedEntries - _dropped.Count))
            .Select(d => new DroppedFile(
                Truncate(d.Path ?? string.Empty, WorkspacePath.MaxLength + 1), Truncate(d.Reason ?? "dropped", MaxReasonChars)));

    private string? ExpressionValue(string? value) =>
        value is null ? null : TruncateUtf8(value, (int)Math.Min(MaxExpressionValueBytes, request.Limits.MaxOutputBytes));

    /// <summary>The longest prefix of <paramref name="text"/> within <paramref name="maxBytes"/> UTF-8 bytes, never splitting a character.</summary>
    public static string TruncateUtf8(string text, int maxBytes)
    {
        if (text.Length <= maxBytes / 3 || Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var bytes = 0;
        var end = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }

        return text[..end];
    }

    public static ExecutionError? ToExecutionError(RunnerError? error) =>
        error?.Type is null
            ? null
            : new ExecutionError(
                Truncate(error.Type, MaxErrorTypeChars),
                Truncate(error.Message ?? string.Empty, MaxErrorMessageChars),
                error.Line is > 0 ? error.Line : null);

    /// <summary>The bounded message of a runner's own failure (an <c>x</c> frame that answers an op); never throws.</summary>
    public static string FailureMessage(RunnerFrame frame)
    {
        try
        {
            var failure = JsonSerializer.Deserialize(frame.Payload, RunnerJsonContext.Default.RunnerFailure);
            return Truncate(failure?.Message ?? "no message", MaxErrorMessageChars);
        }
        catch (JsonException)
        {
            return "an unreadable message";
        }
    }

    public static string Truncate(string text, int maxChars) => text.Length <= maxChars ? text : text[..maxChars];

    private static T? Parse<T>(ReadOnlyMemory<byte> payload, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(payload.Span, type);
        }
        catch (JsonException ex)
        {
            throw new RunnerProtocolException($"a frame holds invalid JSON: {ex.Message}");
        }
    }
}
