using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Application.Common;

/// <summary>
/// Reads stored files that are to be staged into a workspace: every id is resolved first (404 for an
/// unknown one, before anything is read), then the total is bounded, then the contents are read.
/// </summary>
internal static class StagedFileReader
{
    /// <param name="files">The store the ids refer to.</param>
    /// <param name="staged">Each file's id with the (already validated) workspace path it goes to.</param>
    /// <param name="limits">MAX_FILES_MB_PER_EXECUTION bounds the total.</param>
    /// <param name="cancellationToken">Aborts the reading.</param>
    public static async Task<IReadOnlyList<SandboxInputFile>> ReadAsync(
        IFileStore files, IReadOnlyList<(WorkspacePath Path, string FileId)> staged, ExecutionOptions limits,
        CancellationToken cancellationToken)
    {
        var stored = new List<(WorkspacePath Path, StoredFile File)>(staged.Count);
        long total = 0;
        foreach (var (path, fileId) in staged)
        {
            var file = await files.GetAsync(fileId, cancellationToken).ConfigureAwait(false)
                ?? throw NotFound(fileId);
            total += file.SizeBytes;
            stored.Add((path, file));
        }

        if (total > limits.MaxFilesBytesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesMbPerExecution} MB per execution");
        }

        var inputs = new List<SandboxInputFile>(stored.Count);
        foreach (var (path, file) in stored)
        {
            var content = await files.OpenReadAsync(file.FileId, cancellationToken).ConfigureAwait(false)
                ?? throw NotFound(file.FileId);
            await using (content.ConfigureAwait(false))
            {
                var bytes = new byte[file.SizeBytes];
                await content.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                inputs.Add(new SandboxInputFile(path, bytes));
            }
        }

        return inputs;
    }

    private static NotFoundException NotFound(string fileId) => new($"File with ID '{fileId}' not found");
}
