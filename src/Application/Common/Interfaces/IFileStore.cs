namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// Keeps uploaded and generated files. Ids are created by the store (<see cref="StoredFileId"/>);
/// ids passed in come from requests and are untrusted: one that is not well-formed is simply unknown.
/// Implementations stream content (a file is never held whole in memory) and never expose a partly
/// written file. Files belong to the caller that stored them (<see cref="CallerContext.Owner"/>):
/// lookups, lists, reads and deletes of another caller's file behave as if it did not exist.
/// </summary>
public interface IFileStore
{
    /// <summary>
    /// Stores <paramref name="content"/> under a new id. Throws <see cref="Exceptions.PayloadTooLargeException"/>
    /// as soon as more than <paramref name="maxBytes"/> bytes arrive, leaving nothing behind.
    /// </summary>
    /// <param name="fileName">The name to offer the file under; metadata only, sanitised by the store.</param>
    Task<StoredFile> SaveAsync(string fileName, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>The file's metadata, or null when the id is unknown.</summary>
    Task<StoredFile?> GetAsync(string fileId, CancellationToken cancellationToken);

    /// <summary>The file's content (the caller disposes it), or null when the id is unknown.</summary>
    Task<Stream?> OpenReadAsync(string fileId, CancellationToken cancellationToken);

    /// <summary>Deletes the file; false when the id is unknown.</summary>
    Task<bool> DeleteAsync(string fileId, CancellationToken cancellationToken);

    /// <summary>Every stored file, oldest first.</summary>
    Task<IReadOnlyList<StoredFile>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the files stored before <paramref name="olderThan"/>; returns how many.</summary>
    Task<int> DeleteExpiredAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);
}
