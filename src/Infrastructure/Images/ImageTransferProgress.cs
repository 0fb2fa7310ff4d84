using System.Globalization;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Images;

/// <summary>
/// Follows the engine's progress messages of one image pull or load and turns them into a summary
/// (layers done, megabytes moved) that is logged at most every <see cref="LogInterval"/> and handed to
/// <c>onSummary</c> (the readiness reason), instead of the engine's many messages per second.
/// Reported synchronously by the engine client (unlike <see cref="Progress{T}"/>), so nothing
/// arrives after the transfer ended.
/// </summary>
internal sealed partial class ImageTransferProgress(
    string verb, string image, Action<string> onSummary, ILogger logger, TimeProvider time) : IProgress<JSONMessage>
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    // Per-layer statuses of a finished layer, for pulls ("Already exists": nothing to fetch).
    private static readonly string[] DoneStatuses = ["Pull complete", "Already exists"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);
    private readonly long _started = time.GetTimestamp();
    private long _lastLogged = time.GetTimestamp();

    /// <summary>The last error the engine reported in the stream, if any.</summary>
    public string? LastError { get; private set; }

    public void Report(JSONMessage value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            if (value.Error?.Message is { Length: > 0 } error)
            {
                LastError = error;
                LogEngineError(verb, image, error);
                return;
            }

            if (value.Stream?.Trim() is { Length: > 0 } line)
            {
                // `docker load` ends with "Loaded image: name:tag".
                LogEngineMessage(verb, image, line);
            }

            if (string.IsNullOrEmpty(value.ID) || value.ID == image || value.Status is null)
            {
                if (value.Status is { Length: > 0 } status && value.Progress is null)
                {
                    LogEngineMessage(verb, image, status);   // "Digest: ...", "Status: Downloaded newer image ..."
                }
            }
            else
            {
                Track(value.ID, value.Status, value.Progress);
            }

            if (time.GetElapsedTime(_lastLogged) >= LogInterval)
            {
                _lastLogged = time.GetTimestamp();
                var summary = Summary();
                onSummary(summary);
                LogSummary(summary);
            }
        }
    }

    /// <summary>Logs the transfer's end: how long it took and how much it moved.</summary>
    public void Completed()
    {
        lock (_gate)
        {
            var seconds = time.GetElapsedTime(_started).TotalSeconds;
            var megabytes = Megabytes(_layers.Values.Sum(l => l.Total));
            LogCompleted(verb, image, seconds, megabytes);
        }
    }

    private void Track(string id, string status, JSONProgress? progress)
    {
        if (!_layers.TryGetValue(id, out var layer))
        {
            layer = new Layer();
            _layers[id] = layer;
        }

        if (progress is { Total: > 0 } p)
        {
            layer.Total = Math.Max(layer.Total, p.Total.Value);
            layer.Current = p.Current ?? layer.Current;
            // A load reports one "Loading layer" stream per layer, complete when current reaches total.
            layer.Done |= p.Current >= p.Total;
        }

        if (DoneStatuses.Contains(status, StringComparer.Ordinal))
        {
            layer.Done = true;
        }
    }

    private string Summary()
    {
        var done = _layers.Values.Count(l => l.Done);
        var current = _layers.Values.Sum(l => l.Done ? l.Total : l.Current);
        var total = _layers.Values.Sum(l => l.Total);
        return string.Create(CultureInfo.InvariantCulture,
            $"{verb} the executor image {image}: {done}/{_layers.Count} layers, {Megabytes(current)} of {Megabytes(total)} MB so far ({time.GetElapsedTime(_started).TotalSeconds:0} s)");
    }

    private static long Megabytes(long bytes) => bytes / (1024 * 1024);

    private sealed class Layer
    {
        public long Current { get; set; }

        public long Total { get; set; }

        public bool Done { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Summary}")]
    private partial void LogSummary(string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Verb} the executor image {Image}: {Message}")]
    private partial void LogEngineMessage(string verb, string image, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Verb} the executor image {Image}: the engine reported: {Error}")]
    private partial void LogEngineError(string verb, string image, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Verb} the executor image {Image}: done in {Seconds:0.0} s ({Megabytes} MB)")]
    private partial void LogCompleted(string verb, string image, double seconds, long megabytes);
}
