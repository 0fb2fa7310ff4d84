using System.Formats.Tar;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Api.PythonExecutor;

/// <summary>
/// The files of a python-executor project, read from its uncompressed tar (ustar, PAX or GNU) as a
/// stream: nothing is extracted on this host. Regular files become workspace files; directory entries
/// are implied by the files and skipped; links, devices, FIFOs and every other kind are never
/// materialised (skipped and listed nowhere). A name that is absolute or climbs out with <c>..</c>
/// is refused (400), as is a project over the per-execution file count or size (413, naming the limit).
/// </summary>
public static class ProjectArchive
{
    private const long BytesPerMb = 1024 * 1024;

    /// <summary>Reads every regular file of <paramref name="tar"/>, within MAX_FILES_PER_EXECUTION and MAX_FILES_MB_PER_EXECUTION.</summary>
    /// <exception cref="RequestValidationException">The archive is not a tar, or a name is not a valid workspace path.</exception>
    /// <exception cref="PayloadTooLargeException">More files or more bytes than one execution may carry.</exception>
    public static async Task<IReadOnlyList<SandboxInputFile>> ReadAsync(
        Stream tar, ExecutionOptions limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentNullException.ThrowIfNull(limits);
        var files = new Dictionary<string, SandboxInputFile>(StringComparer.Ordinal);
        long total = 0;
        var reader = new TarReader(tar, leaveOpen: true);
        await using (reader.ConfigureAwait(false))
        {
            while (await NextEntryAsync(reader, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (!IsRegularFile(entry.EntryType))
                {
                    continue;
                }

                var path = ParseName(entry.Name);
                var replaced = files.GetValueOrDefault(path.Value);
                total += entry.Length - (replaced?.Content.Length ?? 0);
                if (total > limits.MaxFilesBytesPerExecution)
                {
                    throw new PayloadTooLargeException(
                        $"tar contents exceed maximum of {FormatBytes(limits.MaxFilesBytesPerExecution)} per execution", limits.MaxFilesBytesPerExecution);
                }

                // A later entry of the same name replaces the earlier one, as tar itself extracts them.
                if (replaced is null && files.Count == limits.MaxFilesPerExecution)
                {
                    throw new PayloadTooLargeException(
                        $"tar holds more than {limits.MaxFilesPerExecution} files, the maximum per execution", limits.MaxFilesBytesPerExecution);
                }

                files[path.Value] = new SandboxInputFile(path, await ReadContentAsync(entry, cancellationToken).ConfigureAwait(false));
            }
        }

        CheckFoldersAreNotFiles(files.Keys);
        return [.. files.Values];
    }

    private static bool IsRegularFile(TarEntryType type) =>
        type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile;

    private static async Task<TarEntry?> NextEntryAsync(TarReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or ArgumentException)
        {
            throw new RequestValidationException("tar", $"tar is not a valid uncompressed tar archive: {ex.Message}");
        }
    }

    /// <summary>A tar name as a workspace path: <c>./</c> prefixes (what <c>tar -C dir .</c> writes) are dropped.</summary>
    private static WorkspacePath ParseName(string name)
    {
        var relative = name;
        while (relative.StartsWith("./", StringComparison.Ordinal))
        {
            relative = relative[2..];
        }

        return WorkspacePath.TryParse(relative, out var path, out var error)
            ? path
            : throw new RequestValidationException("tar", $"tar entry '{name}' is refused: {error}");
    }

    private static async Task<byte[]> ReadContentAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        var content = new byte[entry.Length];
        if (entry.DataStream is { } data)
        {
            try
            {
                await data.ReadExactlyAsync(content, cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                throw new RequestValidationException("tar", $"tar entry '{entry.Name}' is cut short: the archive is truncated");
            }
        }

        return content;
    }

    /// <summary>A name used both as a file and as a folder of other files cannot be laid out in a workspace.</summary>
    private static void CheckFoldersAreNotFiles(IEnumerable<string> paths)
    {
        var all = paths.ToHashSet(StringComparer.Ordinal);
        foreach (var path in all)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                if (all.Contains(path[..slash]))
                {
                    throw new RequestValidationException(
                        "tar", $"tar entry '{path[..slash]}' is a file and also the folder of '{path}'");
                }
            }
        }
    }

    private static string FormatBytes(long bytes) =>
        bytes % BytesPerMb == 0 ? $"{bytes / BytesPerMb} MB" : $"{bytes} bytes";
}
