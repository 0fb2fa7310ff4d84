using System.Globalization;
using System.Text.Json;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Hosting;
using Polly.Timeout;

namespace CodeInterpreter.Infrastructure.Images;

/// <summary>
/// The readiness gate: waits for the engine, removes orphaned sandboxes, then makes sure the executor
/// image exists (present; else loaded from EXECUTOR_IMAGE_TAR; else pulled), retrying with backoff.
/// Until it succeeds the service reports not-ready and refuses executions with 503. Afterwards it keeps
/// watching: an image that disappears (removed by hand, pruned, a fresh engine) or an engine that stops
/// answering makes the service not-ready again until the image is back, restored the same way.
/// </summary>
internal sealed partial class ExecutorImageProvisioner(
    IDockerClient docker,
    EngineResilience resilience,
    SandboxReaper reaper,
    ServiceReadiness readiness,
    IOptions<SandboxOptions> options,
    TimeProvider time,
    ILogger<ExecutorImageProvisioner> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The longest wait between pings of an engine that does not answer: a ping costs nothing, and a
    /// service that waited longer would answer 503 for that long after an engine restart.
    /// </summary>
    private static readonly TimeSpan MaxEngineRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>How often a ready service checks that the engine answers and the image is still there.</summary>
    internal static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(3);

    /// <summary>How often a ready service removes stopped sandboxes whose removal failed, and how long they must have been stopped.</summary>
    internal static readonly TimeSpan LeftoverSweepInterval = TimeSpan.FromSeconds(30);

    private string Image => options.Value.ExecutorImage;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        string? lastReason = null;
        var reaped = false;
        var nextSweep = time.GetUtcNow() + LeftoverSweepInterval;
        readiness.MarkNotReady("waiting for the Docker engine");
        try
        {
            while (true)
            {
                try
                {
                    await resilience.Pipeline.ExecuteAsync(
                        async ct => await docker.System.PingAsync(ct).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
                    if (!reaped)
                    {
                        await reaper.RemoveOrphansAsync(stoppingToken).ConfigureAwait(false);
                        reaped = true;
                    }

                    if (!readiness.IsEngineReady)
                    {
                        await EnsureRuntimeAsync(stoppingToken).ConfigureAwait(false);
                    }

                    await EnsureImageAsync(stoppingToken).ConfigureAwait(false);
                    if (!readiness.IsEngineReady)
                    {
                        readiness.MarkReady();
                        LogReady(Image, options.Value.Runtime);
                    }

                    if (time.GetUtcNow() >= nextSweep)
                    {
                        await reaper.RemoveLeftoversAsync(LeftoverSweepInterval, stoppingToken).ConfigureAwait(false);
                        nextSweep = time.GetUtcNow() + LeftoverSweepInterval;
                    }

                    delay = FirstRetryDelay;
                    lastReason = null;
                    await Task.Delay(WatchInterval, time, stoppingToken).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    var reason = Describe(ex);
                    if (ContainerOperations.IsEngineUnreachable(ex) && delay > MaxEngineRetryDelay)
                    {
                        delay = MaxEngineRetryDelay;
                    }

                    readiness.MarkNotReady(string.Create(CultureInfo.InvariantCulture, $"{reason} (retrying in {delay.TotalSeconds:0} s)"));
                    if (!IsExpected(ex))
                    {
                        LogNotReadyUnexpected(ex, reason, delay.TotalSeconds);
                    }
                    else if (reason != lastReason)
                    {
                        // Once per reason: an engine away for an hour is one line, not one per ping.
                        LogNotReady(reason, delay.TotalSeconds);
                    }

                    lastReason = reason;
                }

                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>
    /// The engine must know EXECUTOR_RUNTIME before any sandbox is created: checked while the service
    /// is not ready (at start-up and after the engine went away), so registering the runtime and
    /// reloading the engine makes the service ready without a restart.
    /// </summary>
    private async Task EnsureRuntimeAsync(CancellationToken cancellationToken)
    {
        var runtime = options.Value.Runtime;
        var info = await resilience.Pipeline.ExecuteAsync(
            async ct => await docker.System.GetSystemInfoAsync(ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var registered = info.Runtimes?.Keys.ToList() ?? [];
        if (!registered.Contains(runtime, StringComparer.Ordinal))
        {
            throw new SandboxRuntimeMissingException(
                $"the Docker engine has no runtime '{runtime}' (EXECUTOR_RUNTIME={runtime}; registered: {string.Join(", ", registered.Order(StringComparer.Ordinal))}). " +
                "Register it in the engine's /etc/docker/daemon.json (\"runtimes\": {\"runsc\": {\"path\": \"/usr/bin/runsc\", " +
                "\"runtimeArgs\": [\"--platform=ptrace\", \"--network=none\", \"--oci-seccomp\"]}}) and reload the engine (kill -HUP), " +
                "or start the service with run.sh, which does it");
        }
    }

    private async Task EnsureImageAsync(CancellationToken cancellationToken)
    {
        if (await ImageExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (readiness.IsEngineReady)
        {
            LogDisappeared(Image);
        }

        var archive = options.Value.ExecutorImageTar;
        ImageTransferProgress progress;
        if (!string.IsNullOrEmpty(archive))
        {
            // Checked before the engine is asked, so a wrong path reads as one, not as an engine error.
            if (!File.Exists(archive))
            {
                throw new FileNotFoundException($"EXECUTOR_IMAGE_TAR={archive} does not exist", archive);
            }

            readiness.MarkNotReady($"loading the executor image {Image} from {archive}");
            LogLoading(Image, archive);
            progress = new ImageTransferProgress("loading", Image, readiness.MarkNotReady, logger, time);
            var stream = File.OpenRead(archive);
            await using (stream.ConfigureAwait(false))
            {
                await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = false }, stream, progress, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        else
        {
            readiness.MarkNotReady($"pulling the executor image {Image}");
            LogPulling(Image);
            progress = new ImageTransferProgress("pulling", Image, readiness.MarkNotReady, logger, time);
            var (name, tag) = SplitReference(Image);
            await docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = name, Tag = tag }, new AuthConfig(), progress, cancellationToken)
                .ConfigureAwait(false);
        }

        if (!await ImageExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            var how = string.IsNullOrEmpty(archive) ? "pull" : $"load of {archive} (does it hold {Image}?)";
            throw new ExecutorImageMissingException(
                $"the executor image {Image} is still missing after the {how}{(progress.LastError is { } e ? $": {e}" : "")}");
        }

        progress.Completed();
    }

    private async Task<bool> ImageExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Images.InspectImageAsync(Image, ct).ConfigureAwait(false), cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Splits <c>registry:5000/name:tag</c> into name and tag (a port is not a tag).</summary>
    internal static (string Name, string Tag) SplitReference(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            return (image[..at], image[(at + 1)..]);
        }

        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    private static bool IsExpected(Exception ex) => ex is HttpRequestException or System.Net.Sockets.SocketException
        or IOException or TimeoutRejectedException or DockerApiException or ExecutorImageMissingException or SandboxRuntimeMissingException;

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException => $"the executor image archive is missing: {ex.Message}",
        HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutRejectedException
            => $"the Docker engine does not answer: {ex.Message}",
        DockerApiException api => $"the Docker engine refused: {EngineMessage(api)}",
        _ => ex.Message,
    };

    /// <summary>The engine's <c>{"message": "..."}</c> body, as the docker CLI shows it.</summary>
    private static string EngineMessage(DockerApiException api)
    {
        var body = api.ResponseBody?.Trim() ?? string.Empty;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not JSON: shown as it is.
        }

        return body.Length > 0 ? body : api.StatusCode.ToString();
    }

    /// <summary>A pull or load ended without the image (the archive holds another one, a registry lied).</summary>
    private sealed class ExecutorImageMissingException(string message) : Exception(message);

    /// <summary>The engine does not know the runtime EXECUTOR_RUNTIME names.</summary>
    private sealed class SandboxRuntimeMissingException(string message) : Exception(message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready: executor image {Image} is present; sandboxes run under {Runtime}")]
    private partial void LogReady(string image, string runtime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: {Reason}; retrying in {DelaySeconds} s")]
    private partial void LogNotReady(string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: {Reason}; retrying in {DelaySeconds} s")]
    private partial void LogNotReadyUnexpected(Exception ex, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The executor image {Image} disappeared; not ready until it is restored")]
    private partial void LogDisappeared(string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading executor image {Image} from {Archive}")]
    private partial void LogLoading(string image, string archive);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling executor image {Image}")]
    private partial void LogPulling(string image);
}
