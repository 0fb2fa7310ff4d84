namespace CodeInterpreter.Application.Files;

/// <summary>Delete a stored file.</summary>
public sealed record DeleteFileCommand(string FileId) : ICommand;

public sealed partial class DeleteFileHandler(IFileStore store, ILogger<DeleteFileHandler> logger)
    : ICommandHandler<DeleteFileCommand>
{
    public async ValueTask<Unit> Handle(DeleteFileCommand command, CancellationToken cancellationToken)
    {
        if (!await store.DeleteAsync(command.FileId, cancellationToken).ConfigureAwait(false))
        {
            throw FileErrors.NotFound(command.FileId);
        }

        LogDeleted(command.FileId);
        return Unit.Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted file {FileId}")]
    private partial void LogDeleted(string fileId);
}
