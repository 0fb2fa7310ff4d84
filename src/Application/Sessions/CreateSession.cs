using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Packages;

namespace CodeInterpreter.Application.Sessions;

/// <summary>
/// Open a session for <see cref="TtlSeconds"/>: a sandbox of its own with a persistent Python
/// interpreter, its workspace holding <see cref="Files"/>.
/// </summary>
public sealed record CreateSessionCommand(IReadOnlyList<WorkspaceFileReference> Files, int TtlSeconds) : ICommand<OpenedSession>
{
    /// <summary>Memory of the session's sandbox; null = MEMORY_LIMIT_MB.</summary>
    public int? MemoryLimitMb { get; init; }

    /// <summary>Packages the session needs (PEP 508 lines, or requirements.txt text), as for an execution.</summary>
    public IReadOnlyList<string> Requirements { get; init; } = [];

    /// <summary>Hosts the session's code may reach through the egress proxy, as <see cref="Executions.ExecuteCodeCommand.AllowHosts"/>; empty = no network.</summary>
    public IReadOnlyList<string> AllowHosts { get; init; } = [];
}

/// <remarks>Reaches here only past <see cref="CreateSessionValidator"/>.</remarks>
internal sealed partial class CreateSessionHandler(
    ISessionProvider sessions,
    PackageResolver packages,
    IFileStore files,
    ServiceReadiness readiness,
    IOptions<ExecutionOptions> options,
    ILogger<CreateSessionHandler> logger) : ICommandHandler<CreateSessionCommand, OpenedSession>
{
    public async ValueTask<OpenedSession> Handle(CreateSessionCommand command, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var ttl = TimeSpan.FromSeconds(command.TtlSeconds);
        var memoryLimitMb = command.MemoryLimitMb ?? limits.MemoryLimitMb;
        var staged = await StagedFileReader.ResolveAsync(files, ExecutionPlan.StagedFiles(command.Files), cancellationToken)
            .ConfigureAwait(false);
        var inputs = await StagedFileReader.ReadAsync(files, staged, limits, cancellationToken).ConfigureAwait(false);
        readiness.EnsureReady("open sessions");

        // Held until the session's container mounts it; from then on the engine keeps a volume in use from removal.
        var needs = PackageNeeds.None with { Requirements = PackageRules.Checked(command.Requirements) };
        using var prepared = await packages.PrepareAsync(needs, image: null, cancellationToken).ConfigureAwait(false);
        var spec = new SessionSpec(ttl, memoryLimitMb)
        {
            InputFiles = inputs,
            PackageEnvironment = prepared.Lease?.Volume,
            AllowHosts = EgressRules.Reachable(network: false, command.AllowHosts, limits),
        };
        var opened = await sessions.OpenAsync(spec, cancellationToken).ConfigureAwait(false);
        LogOpened(opened.SessionId, opened.ExpiresAt, memoryLimitMb, inputs.Count);
        return opened;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Session {SessionId} opened until {ExpiresAt:O} ({MemoryLimitMb} MB, {FileCount} file(s) staged)")]
    private partial void LogOpened(string sessionId, DateTimeOffset expiresAt, int memoryLimitMb, int fileCount);
}
