namespace CodeInterpreter.Application.Common;

/// <summary>
/// Reads stored files that are to be staged into a workspace, in two steps that may lie apart (a
/// submitted execution resolves at submit and reads when it runs): every id is resolved first (404 for
/// an unknown one, before anything is read); then the total is bounded and the contents are read.
/// </summary>
internal static class StagedFileReader
{
    /// <summary>Each staged file's stored file, with the (already checked) workspace path it goes to.</summary>
    /// <exception cref="NotFoundException">An id is unknown.</exception>
    public static async Task<IReadOnlyList<StagedFile>> ResolveAsync(
        IFileStore files, IReadOnlyList<(WorkspacePath Path, string FileId)> staged, CancellationToken cancellationToken)
    {
        var resolved = new List<StagedFile>(staged.Count);
        foreach (var (path, fileId) in staged)
        {
            var file = await files.GetAsync(fileId, cancellationToken).ConfigureAwait(false)
                ?? throw NotFound(fileId);
            resolved.Add(new StagedFile(path, file));
        }

        return resolved;
    }

    /// <summary>The contents of <paramref name="resolved"/>, once MAX_FILES_MB_PER_EXECUTION bounded their total.</summary>
    /// <exception cref="RequestValidationException">The files exceed MAX_FILES_MB_PER_EXECUTION together.</exception>
    /// <exception cref="NotFoundException">A file went away since it was resolved.</exception>
    public static async Task<IReadOnlyList<SandboxInputFile>> ReadAsync(
        IFileStore files, IReadOnlyList<StagedFile> resolved, ExecutionOptions limits,
        CancellationToken cancellationToken)
    {
        if (resolved.Sum(r => r.File.SizeBytes) > limits.MaxFilesBytesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesMbPerExecution} MB per execution");
        }

        var inputs = new List<SandboxInputFile>(resolved.Count);
        foreach (var (path, file) in resolved)
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
