using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Infrastructure.Images;

/// <summary>
/// The readiness gate: waits for the engine, removes orphaned sandboxes, then makes sure the executor
/// image exists (present; else loaded from EXECUTOR_IMAGE_TAR; else pulled), retrying with backoff.
/// Until it succeeds the service reports not-ready and refuses executions with 503.
/// </summary>
internal sealed partial class ExecutorImageProvisioner(
    IDockerClient docker,
    SandboxReaper reaper,
    ServiceReadiness readiness,
    IOptions<SandboxOptions> options,
    ILogger<ExecutorImageProvisioner> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        var reaped = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                readiness.MarkNotReady("waiting for the Docker engine");
                await docker.System.PingAsync(stoppingToken).ConfigureAwait(false);
                if (!reaped)
                {
                    await reaper.RemoveOrphansAsync(stoppingToken).ConfigureAwait(false);
                    reaped = true;
                }

                await EnsureImageAsync(stoppingToken).ConfigureAwait(false);
                readiness.MarkReady();
                LogReady(options.Value.ExecutorImage);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                readiness.MarkNotReady($"{Describe(ex)} (retrying)");
                LogNotReady(ex, delay.TotalSeconds);
            }

            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private async Task EnsureImageAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (await ImageExistsAsync(settings.ExecutorImage, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var progress = new Progress<JSONMessage>(message => LogProgress(message.ID, message.Status ?? message.Stream, message.Error?.Message));
        if (!string.IsNullOrEmpty(settings.ExecutorImageTar))
        {
            readiness.MarkNotReady($"loading the executor image from {settings.ExecutorImageTar}");
            LogLoading(settings.ExecutorImage, settings.ExecutorImageTar);
            var archive = File.OpenRead(settings.ExecutorImageTar);
            await using (archive.ConfigureAwait(false))
            {
                await docker.Images.LoadImageAsync(new ImageLoadParameters { Quiet = false }, archive, progress, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        else
        {
            readiness.MarkNotReady($"pulling the executor image {settings.ExecutorImage}");
            LogPulling(settings.ExecutorImage);
            var (name, tag) = SplitReference(settings.ExecutorImage);
            await docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = name, Tag = tag }, new AuthConfig(), progress, cancellationToken)
                .ConfigureAwait(false);
        }

        if (!await ImageExistsAsync(settings.ExecutorImage, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"the executor image {settings.ExecutorImage} is still missing after the {(settings.ExecutorImageTar is { Length: > 0 } ? "load" : "pull")}");
        }
    }

    private async Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
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

    private static string Describe(Exception ex) => ex switch
    {
        HttpRequestException or System.Net.Sockets.SocketException => $"the Docker engine does not answer: {ex.Message}",
        DockerApiException api => $"the Docker engine refused: {api.ResponseBody?.Trim()}",
        FileNotFoundException => $"the executor image archive is missing: {ex.Message}",
        _ => ex.Message,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready: executor image {Image} is present")]
    private partial void LogReady(string image);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready yet; retrying in {DelaySeconds} s")]
    private partial void LogNotReady(Exception ex, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading executor image {Image} from {Archive}")]
    private partial void LogLoading(string image, string archive);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulling executor image {Image}")]
    private partial void LogPulling(string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Layer}: {Status} {Error}")]
    private partial void LogProgress(string? layer, string? status, string? error);
}
