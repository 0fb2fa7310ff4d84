using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Sessions;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Postgres;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// Sessions on the Docker engine: each one a sandbox of its own (every setting of a one-off sandbox,
/// the session's memory limit, labelled with its id) running the runner in session mode. A session
/// belongs to the caller that opened it (<see cref="CallerContext.Owner"/>). Calls to a session run
/// one at a time; closing one (delete, expiry, shutdown, a broken sandbox) kills and
/// removes its container.
/// </summary>
internal sealed partial class DockerSessionProvider(
    ContainerOperations containers,
    SessionRegistry registry,
    ISessionDirectory directory,
    ReplicaIdentity replica,
    IOptions<DatabaseOptions> databaseOptions,
    IOptions<SandboxOptions> sandboxOptions,
    Egress.EgressProxy egress,
    IOptions<PoolOptions> poolOptions,
    TimeProvider time,
    ILogger<DockerSessionProvider> logger) : ISessionProvider
{
    public async Task<OpenedSession> OpenAsync(SessionSpec spec, CancellationToken cancellationToken)
    {
        var owner = CallerContext.Owner;
        switch (registry.TryReserve(owner))
        {
            case SessionReservation.ServiceFull:
                throw new TooManyRequestsException(
                    $"{registry.Capacity} sessions are open (MAX_SESSIONS); delete one or try again later.", registry.RetryAfter());
            case SessionReservation.OwnerFull:
                throw new TooManyRequestsException(
                    $"This API key has {registry.CapacityPerOwner} sessions open (MAX_SESSIONS_PER_KEY); delete one or try again later.",
                    registry.RetryAfter(owner));
            case SessionReservation.Reserved:
                break;
        }

        var settings = sandboxOptions.Value;
        var bootTimeout = TimeSpan.FromSeconds(settings.BootTimeoutSec);
        var sessionId = SessionId.New();
        SessionContainer? container = null;
        Egress.EgressAttachment? attachment = null;
        string? egressAddress = null;
        try
        {
            if (spec.AllowHosts.Count > 0)
            {
                attachment = await AttachEgressAsync(settings, cancellationToken).ConfigureAwait(false);
            }

            // The preloads of the warm pool: the interpreter starts with them imported.
            var shape = new SandboxShape(spec.MemoryLimitMb, poolOptions.Value.Preload.Replace(" ", "", StringComparison.Ordinal))
            {
                PackageEnvironment = spec.PackageEnvironment,
                Egress = attachment,
            };
            container = await SessionContainer.StartAsync(containers, settings, shape, sessionId, cancellationToken)
                .ConfigureAwait(false);
            if (attachment is not null)
            {
                egressAddress = await egress.RegisterAsync(attachment, spec.AllowHosts, cancellationToken).ConfigureAwait(false);
            }

            await container.WaitUntilReadyAsync(bootTimeout, cancellationToken).ConfigureAwait(false);
            if (spec.InputFiles.Count > 0)
            {
                await container.StageFilesAsync(spec.InputFiles, bootTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            if (egressAddress is not null)
            {
                await EndEgressAsync(egressAddress).ConfigureAwait(false);
            }

            if (container is not null)
            {
                await container.DisposeAsync().ConfigureAwait(false);
            }

            if (attachment is not null)
            {
                await egress.DetachAsync(attachment).ConfigureAwait(false);
            }

            registry.Release(owner);
            throw ex is SessionLostException lost
                ? new SandboxFailedException($"The session's sandbox failed while opening: {lost.Message}", lost)
                : ex;
        }

        var session = new OpenSession(sessionId, container, time.GetUtcNow() + spec.Ttl, CallerContext.Owner)
        {
            EgressAddress = egressAddress,
            EgressAttachment = attachment,
        };
        registry.Add(session);
        try
        {
            // Every replica can now tell where the session lives (and that it is lost if this replica dies).
            await directory.RegisterAsync(
                new SessionLocation(session.Id, session.Owner, replica.Id, databaseOptions.Value.ReplicaUrl, container.Id, session.ExpiresAt),
                cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (registry.TryRemove(session.Id, out _))
            {
                await CloseAsync(session, gateHeld: false, "not registered").ConfigureAwait(false);
            }

            throw;
        }

        return new OpenedSession(session.Id, session.ExpiresAt);
    }

    public async Task<SessionExecutionResult?> ExecuteAsync(string sessionId, SandboxRequest request, CancellationToken cancellationToken)
    {
        var settings = sandboxOptions.Value;
        var op = SessionExecuteOp.For(request, settings, SessionContainer.InterruptGrace);
        var startTimeout = TimeSpan.FromSeconds(settings.BootTimeoutSec);
        return await CallAsync(
            sessionId,
            session => ExecuteCellAsync(session, request, op, startTimeout, cancellationToken),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One cell; with egress, the result lists the requests made through the proxy during the cell (not between cells).</summary>
    private async Task<SessionExecutionResult> ExecuteCellAsync(
        OpenSession session, SandboxRequest request, SessionExecuteOp op, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        if (session.EgressAddress is not { } address)
        {
            return await session.Container.ExecuteAsync(request, op, startTimeout, cancellationToken).ConfigureAwait(false);
        }

        egress.Log?.Track(address);
        var result = await session.Container.ExecuteAsync(request, op, startTimeout, cancellationToken).ConfigureAwait(false);
        var log = await egress.CollectLogAsync(address, cancellationToken).ConfigureAwait(false);
        return result with { Execution = result.Execution with { NetworkLog = log } };
    }

    public Task<ShellResult?> RunShellAsync(string sessionId, ShellCommand command, CancellationToken cancellationToken) =>
        CallAsync(sessionId, session => session.Container.RunShellAsync(command, cancellationToken), cancellationToken);

    public async Task<bool> CloseAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (registry.Find(sessionId, CallerContext.Owner) is null || !registry.TryRemove(sessionId, out var session))
        {
            return false;
        }

        await CloseAsync(session!, gateHeld: false, "deleted").ConfigureAwait(false);
        return true;
    }

    /// <summary>Closes every session past its expiry (the TTL reaper's sweep); returns how many.</summary>
    public async Task<int> CloseExpiredAsync()
    {
        var closing = registry.Expired()
            .Where(s => registry.TryRemove(s.Id, out _))
            .Select(s => CloseAsync(s, gateHeld: false, "expired"))
            .ToList();
        await Task.WhenAll(closing).ConfigureAwait(false);
        return closing.Count;
    }

    /// <summary>Closes every session (shutdown).</summary>
    public async Task CloseAllAsync()
    {
        var closing = registry.All()
            .Where(s => registry.TryRemove(s.Id, out _))
            .Select(s => CloseAsync(s, gateHeld: false, "service stopping"))
            .ToList();
        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the session alone (calls to one session never overlap). A call
    /// that finds the session closed meanwhile answers null (unknown); one that leaves the sandbox
    /// unusable closes the session and fails with 502.
    /// </summary>
    private async Task<T?> CallAsync<T>(string sessionId, Func<OpenSession, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        var session = registry.Find(sessionId, CallerContext.Owner);
        if (session is null)
        {
            return null;
        }

        await session.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (session.IsClosed)
            {
                return null;
            }

            try
            {
                var result = await call(session).ConfigureAwait(false);
                return session.IsClosed ? null : result;
            }
            catch (Exception ex) when (ex is SessionLostException || !session.Container.IsInStep)
            {
                if (session.IsClosed || !registry.TryRemove(session.Id, out _))
                {
                    return null;  // deleted or expired while the call ran: the kill ended it
                }

                LogLost(session.Id, ex.Message);
                await CloseAsync(session, gateHeld: true, "lost").ConfigureAwait(false);
                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw new SandboxFailedException($"The session's sandbox failed and the session was closed: {ex.Message}", ex);
            }
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>A network of its own shared with the egress proxy, for a session with <c>allow_hosts</c>; refused under gVisor, 503 while the proxy is not running.</summary>
    private Task<Egress.EgressAttachment> AttachEgressAsync(SandboxOptions settings, CancellationToken cancellationToken) =>
        settings.Runtime == SandboxContainerSpec.GVisorRuntime
            ? throw new ForbiddenException(
                "allow_hosts is not available under EXECUTOR_RUNTIME=runsc: gVisor runs here only with --network=none, so its sandboxes have no network at all")
            : egress.AttachAsync(cancellationToken);

    /// <summary>Removes the session's registration (and what the log kept for it since its last cell).</summary>
    private async Task EndEgressAsync(string address)
    {
        await egress.UnregisterAsync(address).ConfigureAwait(false);
        egress.Log?.Collect(address);
    }

    /// <summary>Kills the sandbox (ending a call in progress), waits for that call, removes the sandbox, frees the place.</summary>
    private async Task CloseAsync(OpenSession session, bool gateHeld, string reason)
    {
        session.MarkClosed();
        if (session.EgressAddress is { } address)
        {
            // While the sandbox still holds the address: the engine frees it when the sandbox stops.
            await EndEgressAsync(address).ConfigureAwait(false);
        }

        await session.Container.KillAsync().ConfigureAwait(false);
        if (!gateHeld)
        {
            await session.Gate.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            await session.Container.DisposeAsync().ConfigureAwait(false);
            if (session.EgressAttachment is { } attachment)
            {
                await egress.DetachAsync(attachment).ConfigureAwait(false);
            }
        }
        finally
        {
            if (!gateHeld)
            {
                session.Gate.Release();
            }

            registry.Release(session.Owner);
        }

        try
        {
            await directory.ForgetAsync(session.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The entry expires with the session; until then a lookup finds a session this replica no longer has (404).
            LogForgetFailed(ex, session.Id);
        }

        LogClosed(session.Id, reason);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: its sandbox failed ({Reason}); closing the session")]
    private partial void LogLost(string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: could not remove its directory entry")]
    private partial void LogForgetFailed(Exception ex, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} closed ({Reason})")]
    private partial void LogClosed(string sessionId, string reason);
}
