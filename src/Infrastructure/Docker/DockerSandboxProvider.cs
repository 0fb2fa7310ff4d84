using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Infrastructure.Egress;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Runs each request in its own sandbox: a warm one from the pool when one fits, else a cold one
/// started for it. Either way the sandbox is destroyed afterwards (off the response's path). A warm sandbox found dead before
/// the code started is replaced by a cold one, so an engine restart never fails a request.
/// </summary>
internal sealed partial class DockerSandboxProvider(
    ContainerOperations containers,
    SandboxPool pool,
    EnvironmentPools environmentPools,
    SandboxPoolStatus poolStatus,
    EgressProxy egress,
    SandboxRemovals removals,
    IOptions<SandboxOptions> options,
    ILogger<DockerSandboxProvider> logger) : ISandboxProvider
{
    public async Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var runnerRequest = RunnerRequest.For(request, settings);
        var shape = new SandboxShape(
            request.Limits.MemoryLimitMb, pool.Shape.Preload, request.Limits.Cpus, request.Image, request.PackageEnvironment);
        if (request.Network || request.AllowHosts.Count > 0)
        {
            return await RunWithEgressAsync(request, runnerRequest, shape, settings, cancellationToken).ConfigureAwait(false);
        }

        var warm = await LeaseAsync(shape, cancellationToken).ConfigureAwait(false);
        if (warm is not null)
        {
            try
            {
                return await RunOnAsync(warm, runnerRequest, request, settings, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxNotStartedException ex)
            {
                LogWarmSandboxLost(request.ExecutionId, warm.Id, ex.Message);
            }
            finally
            {
                if (warm.Shape.PackageEnvironment is null)
                {
                    pool.LeaseEnded();
                    removals.Remove(warm, pool.BurstPausedAsync);
                }
                else
                {
                    environmentPools.LeaseEnded(warm);
                    removals.Remove(warm);
                }
            }
        }

        // Cold sandboxes import nothing ahead: the code pays only for what it imports itself.
        var cold = await SandboxContainer.StartAsync(
            containers, settings, shape with { Preload = "" }, request.ExecutionId,
            logger, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunOnAsync(cold, runnerRequest, request, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotStartedException ex)
        {
            throw new SandboxFailedException($"The sandbox could not run the code: {ex.Message}", ex);
        }
        finally
        {
            removals.Remove(cold);
        }
    }

    /// <summary>
    /// A warm sandbox for the shape: from the pool of a POOL_ENVIRONMENTS set when the request needs that set's
    /// environment, from the default pool when it needs the default shape (hits and misses counted), else null.
    /// </summary>
    private async Task<SandboxContainer?> LeaseAsync(SandboxShape shape, CancellationToken cancellationToken)
    {
        if (shape.PackageEnvironment is not null)
        {
            return environmentPools.TryLease(shape);
        }

        var warm = await pool.LeaseAsync(shape, cancellationToken).ConfigureAwait(false);
        if (shape == pool.Shape)
        {
            poolStatus.RecordDefaultLease(hit: warm is not null);
        }

        return warm;
    }

    /// <summary>
    /// A cold sandbox on an internal network of its own shared with the egress proxy alone (never a warm one: the pool
    /// has no network), whose allow-list the proxy knows from before the code starts until after the sandbox is
    /// stopped; the network goes after the sandbox.
    /// </summary>
    private async Task<ExecutionResult> RunWithEgressAsync(
        SandboxRequest request, RunnerRequest runnerRequest, SandboxShape shape, SandboxOptions settings, CancellationToken cancellationToken)
    {
        if (settings.Runtime == SandboxContainerSpec.GVisorRuntime)
        {
            throw new ForbiddenException(
                "network access (network, allow_hosts) is not available under EXECUTOR_RUNTIME=runsc: gVisor runs here only with --network=none, so its sandboxes have no network at all");
        }

        var attachment = await egress.AttachAsync(cancellationToken).ConfigureAwait(false);
        SandboxContainer sandbox;
        try
        {
            sandbox = await SandboxContainer.StartAsync(
                containers, settings, shape with { Preload = "", Egress = attachment }, request.ExecutionId,
                logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await egress.DetachAsync(attachment).ConfigureAwait(false);
            throw;
        }

        try
        {
            var address = await egress.RegisterAsync(attachment, request.AllowHosts, cancellationToken).ConfigureAwait(false);
            ExecutionResult result;
            try
            {
                result = await RunOnAsync(sandbox, runnerRequest, request, settings, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // While the sandbox still holds its address (the engine frees it when the sandbox stops), so the
                // emptied list cannot be another sandbox's.
                await egress.UnregisterAsync(address).ConfigureAwait(false);
            }

            return result with { NetworkLog = await egress.CollectLogAsync(address, cancellationToken).ConfigureAwait(false) };
        }
        catch (SandboxNotStartedException ex)
        {
            throw new SandboxFailedException($"The sandbox could not run the code: {ex.Message}", ex);
        }
        finally
        {
            removals.Remove(sandbox, afterwards: () => egress.DetachAsync(attachment));
        }
    }

    private async Task<ExecutionResult> RunOnAsync(
        SandboxContainer sandbox, RunnerRequest runnerRequest, SandboxRequest request, SandboxOptions settings,
        CancellationToken cancellationToken)
    {
        try
        {
            return await sandbox.RunAsync(
                request, runnerRequest, TimeSpan.FromSeconds(settings.BootTimeoutSec), cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerProtocolException ex)
        {
            LogProtocolViolation(request.ExecutionId, ex.Message);
            throw new SandboxFailedException($"The sandbox broke the runner protocol: {ex.Message}", ex);
        }
        catch (Exception ex) when (ContainerOperations.IsEngineUnreachable(ex))
        {
            throw ContainerOperations.EngineUnavailable(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: the sandbox broke the runner protocol: {Reason}")]
    private partial void LogProtocolViolation(string executionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: warm sandbox {ContainerId} was gone ({Reason}); running on a fresh one")]
    private partial void LogWarmSandboxLost(string executionId, string containerId, string reason);
}
