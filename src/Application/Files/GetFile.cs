namespace CodeInterpreter.Application.Files;

/// <summary>A stored file's metadata and content.</summary>
public sealed record GetFileQuery(string FileId) : IQuery<FileDownload>;

/// <summary>A stored file opened for reading; whoever receives it disposes <see cref="Content"/>.</summary>
public sealed record FileDownload(StoredFile File, Stream Content);

public sealed class GetFileHandler(IFileStore store) : IQueryHandler<GetFileQuery, FileDownload>
{
    public async ValueTask<FileDownload> Handle(GetFileQuery query, CancellationToken cancellationToken)
    {
        var file = await store.GetAsync(query.FileId, cancellationToken).ConfigureAwait(false)
            ?? throw FileErrors.NotFound(query.FileId);
        // Deleted (or expired) between the two calls: as unknown as never stored.
        var content = await store.OpenReadAsync(query.FileId, cancellationToken).ConfigureAwait(false)
            ?? throw FileErrors.NotFound(query.FileId);
        return new FileDownload(file, content);
    }
}
