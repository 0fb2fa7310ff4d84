using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// The proxy's output, followed while it runs: tells when squid accepts connections, and collects the access log
/// lines (<see cref="SquidConfiguration.LogTag"/> client host port status bytes-to-client bytes-from-client) of the
/// addresses being tracked, at most <see cref="MaxEntriesPerAddress"/> each.
/// </summary>
internal sealed partial class EgressProxyLog(IDockerClient docker, string containerId, ILogger logger) : IDisposable
{
    /// <summary>Most log entries kept for one sandbox.</summary>
    public const int MaxEntriesPerAddress = 100;

    private const string AcceptingMarker = "Accepting HTTP Socket connections";
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _accepting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, List<EgressLogEntry>> _tracked = new(StringComparer.Ordinal);
    private readonly StringBuilder _squidOutput = new();

    /// <summary>Starts following the output (from the container's start on).</summary>
    public void Follow() => _ = FollowAsync(_stop.Token);

    /// <summary>Waits until squid accepts connections; throws with squid's own output when it does not in time.</summary>
    public async Task WaitAcceptingAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        try
        {
            await _accepting.Task.WaitAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            string output;
            lock (_squidOutput)
            {
                output = _squidOutput.ToString();
            }

            throw new EgressProxyException($"the egress proxy did not accept connections within {deadline.TotalSeconds:0} s; squid said: {output.Trim()}");
        }
    }

    /// <summary>Starts collecting the entries of <paramref name="address"/> (anew).</summary>
    public void Track(string address) => _tracked[address] = [];

    /// <summary>How many entries were collected for <paramref name="address"/> so far.</summary>
    public int Count(string address)
    {
        if (!_tracked.TryGetValue(address, out var entries))
        {
            return 0;
        }

        lock (entries)
        {
            return entries.Count;
        }
    }

    /// <summary>Stops collecting for <paramref name="address"/> and returns what was collected.</summary>
    public IReadOnlyList<EgressLogEntry> Collect(string address) =>
        _tracked.TryRemove(address, out var entries) ? Snapshot(entries) : [];

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private static List<EgressLogEntry> Snapshot(List<EgressLogEntry> entries)
    {
        lock (entries)
        {
            return [.. entries];
        }
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var stream = await docker.Containers.GetContainerLogsAsync(
                containerId, new ContainerLogsParameters { Follow = true, ShowStdout = true, ShowStderr = true }, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            var pending = new StringBuilder();
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (read.EOF)
                {
                    return;
                }

                pending.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                var text = pending.ToString();
                var end = text.LastIndexOf('\n');
                if (end < 0)
                {
                    continue;
                }

                pending.Clear().Append(text[(end + 1)..]);
                foreach (var line in text[..end].Split('\n'))
                {
                    OnLine(line.TrimEnd('\r'));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (Exception ex) when (ex is DockerApiException or IOException or HttpRequestException or ObjectDisposedException)
        {
            LogFollowEnded(ex.Message);
        }
    }

    private void OnLine(string line)
    {
        if (line.StartsWith(SquidConfiguration.LogTag + " ", StringComparison.Ordinal))
        {
            if (Parse(line) is { } entry && _tracked.TryGetValue(entry.Client, out var entries))
            {
                lock (entries)
                {
                    if (entries.Count < MaxEntriesPerAddress)
                    {
                        entries.Add(entry);
                    }
                }
            }

            return;
        }

        if (!_accepting.Task.IsCompleted)
        {
            lock (_squidOutput)
            {
                if (_squidOutput.Length < 8192)
                {
                    _squidOutput.AppendLine(line);
                }
            }

            if (line.Contains(AcceptingMarker, StringComparison.Ordinal))
            {
                _accepting.TrySetResult();
            }
        }
    }

    /// <summary>One access log line; null when it is not one.</summary>
    internal static EgressLogEntry? Parse(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 7 || fields[0] != SquidConfiguration.LogTag
            || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || !long.TryParse(fields[5], NumberStyles.None, CultureInfo.InvariantCulture, out var received)
            || !long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
        {
            return null;
        }

        // TCP_DENIED/403 is the proxy's refusal; anything else reached (or tried to reach) the host.
        var allowed = !fields[4].StartsWith("TCP_DENIED", StringComparison.Ordinal);
        return new EgressLogEntry(fields[1], fields[2], port, allowed, received + sent);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped following the egress proxy's output: {Reason}")]
    private partial void LogFollowEnded(string reason);
}

/// <summary>One request a sandbox made through the proxy.</summary>
/// <param name="Client">The sandbox's address.</param>
/// <param name="Host">The host it asked for.</param>
/// <param name="Port">The port it asked for.</param>
/// <param name="Allowed">False when the proxy refused it.</param>
/// <param name="Bytes">Bytes both ways.</param>
internal sealed record EgressLogEntry(string Client, string Host, int Port, bool Allowed, long Bytes);
