namespace CodeInterpreter.Application.Files;

/// <summary>Store <see cref="Content"/>, read to its end, as a new file named <see cref="FileName"/>.</summary>
public sealed record UploadFileCommand(string? FileName, Stream Content) : ICommand<StoredFile>;

public sealed partial class UploadFileHandler(
    IFileStore store,
    IOptions<FileStorageOptions> options,
    ILogger<UploadFileHandler> logger) : ICommandHandler<UploadFileCommand, StoredFile>
{
    public async ValueTask<StoredFile> Handle(UploadFileCommand command, CancellationToken cancellationToken)
    {
        // The limit is enforced while the content streams in, so an oversized upload is never kept whole.
        var stored = await store.SaveAsync(
            StoredFileName.Sanitize(command.FileName), command.Content, options.Value.MaxFileSizeBytes, cancellationToken)
            .ConfigureAwait(false);
        LogStored(stored.FileId, stored.SizeBytes);
        return stored;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored file {FileId} ({SizeBytes} bytes)")]
    private partial void LogStored(string fileId, long sizeBytes);
}
