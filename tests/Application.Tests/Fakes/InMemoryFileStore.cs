using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>A file store in memory, for use-case tests.</summary>
internal sealed class InMemoryFileStore : IFileStore
{
    private readonly Dictionary<string, (StoredFile File, byte[] Content)> _files = [];

    public async Task<StoredFile> SaveAsync(string fileName, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > maxBytes)
        {
            throw PayloadTooLargeException.ForFile(maxBytes);
        }

        var file = new StoredFile(StoredFileId.New(), fileName, buffer.Length, DateTimeOffset.UtcNow);
        _files[file.FileId] = (file, buffer.ToArray());
        return file;
    }

    public Task<StoredFile?> GetAsync(string fileId, CancellationToken cancellationToken) =>
        Task.FromResult(_files.TryGetValue(fileId, out var entry) ? entry.File : null);

    public Task<Stream?> OpenReadAsync(string fileId, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(_files.TryGetValue(fileId, out var entry) ? new MemoryStream(entry.Content) : null);

    public Task<bool> DeleteAsync(string fileId, CancellationToken cancellationToken) => Task.FromResult(_files.Remove(fileId));

    public Task<IReadOnlyList<StoredFile>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StoredFile>>([.. _files.Values.Select(e => e.File)]);

    public Task<int> DeleteExpiredAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => Task.FromResult(0);
}
