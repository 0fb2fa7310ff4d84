namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Keeps a generated file and says under which id.</summary>
public interface IGeneratedFileSink
{
    Task<StoredFile> StoreAsync(WorkspacePath path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);
}
