using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Egress;

/// <summary>
/// When egress is enabled (ALLOW_NETWORK), starts the egress proxy and keeps it
/// running: checked every few seconds, started again when it died or was removed. Until it runs, readiness says
/// why (and executions wait with 503). Removes it at shutdown.
/// </summary>
internal sealed partial class EgressProxySupervisor(
    EgressProxy proxy, ServiceReadiness readiness, IOptions<ExecutionOptions> executions, TimeProvider time,
    ILogger<EgressProxySupervisor> logger) : BackgroundService
{
    /// <summary>How often the proxy is checked.</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!executions.Value.EgressEnabled)
        {
            return;
        }

        readiness.MarkEgressUnavailable("starting the egress proxy");
        string? lastProblem = null;
        try
        {
            await RemoveLeftoverNetworksAsync(stoppingToken).ConfigureAwait(false);
            while (true)
            {
                try
                {
                    await proxy.EnsureRunningAsync(stoppingToken).ConfigureAwait(false);
                    readiness.MarkEgressAvailable();
                    lastProblem = null;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    var problem = $"the egress proxy is not running: {ex.Message}";
                    readiness.MarkEgressUnavailable(problem);
                    if (problem != lastProblem)
                    {
                        LogNotRunning(problem);
                        lastProblem = problem;
                    }
                }

                await Task.Delay(CheckInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (executions.Value.EgressEnabled)
        {
            try
            {
                await proxy.StopAsync(cancellationToken).ConfigureAwait(false);
                await proxy.RemoveLeftoverNetworksAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is global::Docker.DotNet.DockerApiException or HttpRequestException or IOException or OperationCanceledException
                or ObjectDisposedException)
            {
                // ObjectDisposedException: the host tore the engine client down first (a host disposed while it starts).
                // What stays is removed at the next start of the instance: the proxy by its name, the networks by label.
                LogNotRemoved(ex.Message);
            }
        }
    }

    /// <summary>An earlier process's sandbox networks (a crash, a kill); one the engine refuses to list now waits for shutdown.</summary>
    private async Task RemoveLeftoverNetworksAsync(CancellationToken stoppingToken)
    {
        try
        {
            await proxy.RemoveLeftoverNetworksAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is global::Docker.DotNet.DockerApiException or HttpRequestException or IOException)
        {
            LogNotRemoved(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not ready: {Problem}")]
    private partial void LogNotRunning(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The egress proxy or its networks could not be removed: {Reason}")]
    private partial void LogNotRemoved(string reason);
}
