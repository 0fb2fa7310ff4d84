namespace CodeInterpreter.Application.Sessions;

/// <summary>Close a session and remove its sandbox (its workspace goes with it).</summary>
public sealed record DeleteSessionCommand(string SessionId) : ICommand;

public sealed partial class DeleteSessionHandler(ISessionProvider sessions, ISessionDirectory directory, ILogger<DeleteSessionHandler> logger)
    : ICommandHandler<DeleteSessionCommand>
{
    public async ValueTask<Unit> Handle(DeleteSessionCommand command, CancellationToken cancellationToken)
    {
        if (!await sessions.CloseAsync(command.SessionId, cancellationToken).ConfigureAwait(false))
        {
            throw await SessionErrors.MissingAsync(directory, command.SessionId, cancellationToken).ConfigureAwait(false);
        }

        LogDeleted(command.SessionId);
        return Unit.Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} deleted")]
    private partial void LogDeleted(string sessionId);
}
