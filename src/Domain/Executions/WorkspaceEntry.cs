namespace CodeInterpreter.Domain.Executions;

/// <summary>A workspace entry an execution created or changed.</summary>
/// <param name="Path">Relative to the workspace, validated by the service.</param>
/// <param name="Kind"><see cref="FileKind"/> or <see cref="DirectoryKind"/>.</param>
/// <param name="FileId">The stored copy of a file (download it by this id); null for directories.</param>
/// <param name="SizeBytes">Size of a file; null for directories.</param>
public sealed record WorkspaceEntry(string Path, string Kind, string? FileId, long? SizeBytes)
{
    public const string FileKind = "file";
    public const string DirectoryKind = "directory";
}

/// <summary>A generated file that was not returned, and why (a bound, an invalid path, ...).</summary>
public sealed record DroppedFile(string Path, string Reason);
