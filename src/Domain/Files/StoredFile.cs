namespace CodeInterpreter.Domain.Files;

/// <summary>A file kept by the service: uploaded by a client or produced by an execution.</summary>
/// <param name="FileId">Opaque id, always in the shape <see cref="StoredFileId"/> checks.</param>
/// <param name="FileName">The name the file was stored under; metadata only, never a path.</param>
/// <param name="SizeBytes">Length of the content in bytes.</param>
/// <param name="UploadTime">When the content was stored (UTC).</param>
public sealed record StoredFile(string FileId, string FileName, long SizeBytes, DateTimeOffset UploadTime)
{
    /// <summary>The API key owner that stored it; null when the service runs without API keys.</summary>
    public string? Owner { get; init; }

    /// <summary>Only the owner sees a file (anonymous files are seen only by anonymous callers).</summary>
    public bool IsVisibleTo(string? owner) => string.Equals(Owner, owner, StringComparison.Ordinal);
}
