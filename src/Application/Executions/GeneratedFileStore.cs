namespace CodeInterpreter.Application.Executions;

/// <summary>Keeps the files an execution generated in the file store, like uploads, named after their path.</summary>
internal sealed class GeneratedFileStore(IFileStore store) : IGeneratedFileSink
{
    public async Task<StoredFile> StoreAsync(WorkspacePath path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var name = StoredFileName.Sanitize(path.Value[(path.Value.LastIndexOf('/') + 1)..]);
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return await store.SaveAsync(name, stream, content.Length, cancellationToken).ConfigureAwait(false);
    }
}
