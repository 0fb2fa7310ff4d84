using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Domain.Files;
using Riok.Mapperly.Abstractions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>File store models to API contracts.</summary>
[Mapper]
internal static partial class FileContractMapper
{
    [MapProperty(nameof(StoredFile.FileName), nameof(UploadFileResponse.Filename))]
    [MapperIgnoreSource(nameof(StoredFile.UploadTime))]
    [MapperIgnoreSource(nameof(StoredFile.Owner))]
    public static partial UploadFileResponse ToUploadResponse(this StoredFile file);

    public static ListFilesResponse ToListResponse(this IReadOnlyList<StoredFile> files) => new()
    {
        Files = [.. files.Select(ToMetadata)],
    };

    [MapProperty(nameof(StoredFile.FileName), nameof(FileMetadata.Filename))]
    [MapProperty(nameof(StoredFile.UploadTime), nameof(FileMetadata.UploadTime), Use = nameof(ToUnixSeconds))]
    [MapperIgnoreSource(nameof(StoredFile.Owner))]
    private static partial FileMetadata ToMetadata(StoredFile file);

    private static double ToUnixSeconds(DateTimeOffset time) => UnixTime.ToSeconds(time);
}
