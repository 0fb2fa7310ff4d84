namespace CodeInterpreter.Api.Contracts;

/// <summary>A file just stored by <c>POST /v1/files</c>.</summary>
public sealed class UploadFileResponse
{
    /// <summary>Id to download, delete or stage the file with (32 lowercase hex digits).</summary>
    public required string FileId { get; init; }

    /// <summary>The uploaded file's name, cleaned of directories and control characters.</summary>
    public required string Filename { get; init; }

    /// <summary>Size of the content in bytes.</summary>
    public required long SizeBytes { get; init; }
}
