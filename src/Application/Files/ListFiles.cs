namespace CodeInterpreter.Application.Files;

/// <summary>Every stored file, uploaded or generated.</summary>
public sealed record ListFilesQuery : IQuery<IReadOnlyList<StoredFile>>;

public sealed class ListFilesHandler(IFileStore store) : IQueryHandler<ListFilesQuery, IReadOnlyList<StoredFile>>
{
    public async ValueTask<IReadOnlyList<StoredFile>> Handle(ListFilesQuery query, CancellationToken cancellationToken) =>
        await store.ListAsync(cancellationToken).ConfigureAwait(false);
}
