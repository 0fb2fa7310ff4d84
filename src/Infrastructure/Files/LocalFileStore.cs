using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Infrastructure.Files;

/// <summary>
/// The embedded single-machine file store: <c>FILE_STORAGE_DIR/&lt;id&gt;/content</c> and
/// <c>meta.json</c>. A file is written into a hidden staging directory and renamed into place in one
/// step, and deleted by renaming it away first, so a crash never leaves a partial file visible and the
/// store survives restarts. Paths are built only from ids the store made or checked, never from names.
/// With FILE_STORE_MAX_MB or FILE_STORE_MAX_MB_PER_KEY set, it keeps an index of its files' sizes (read
/// from disk once), and a file is made visible only under a lock after its size is checked against it, so
/// the limits are never exceeded (one service instance per directory).
/// </summary>
internal sealed partial class LocalFileStore : IFileStore
{
    private const string ContentFileName = "content";
    private const string MetadataFileName = "meta.json";
    private const string StagingPrefix = ".staging-";
    private const string DeletingPrefix = ".deleting-";
    private const int CopyBufferBytes = 81_920;

    // Staging directories of uploads still in progress are rewritten continuously; anything this quiet
    // was left by a crash. Another process may share the directory, so younger ones are not touched.
    private static readonly TimeSpan AbandonedStagingAge = TimeSpan.FromHours(1);

    private readonly string _root;
    private readonly TimeProvider _time;
    private readonly ILogger<LocalFileStore> _logger;
    private readonly FileStorageOptions _options;
    private readonly FileQuota _quota;
    private readonly Lock _commitGate = new();
    // Only with limits: every file's metadata, loaded at start-up and kept up to date by this instance.
    private readonly ConcurrentDictionary<string, StoredFile>? _index;

    public LocalFileStore(IOptions<FileStorageOptions> options, TimeProvider time, ILogger<LocalFileStore> logger)
    {
        _time = time;
        _logger = logger;
        _options = options.Value;
        _quota = FileQuota.Of(_options);
        // FileStorageDirectoryValidation made sure at start-up that the directory can be created.
        _root = Path.GetFullPath(options.Value.StorageDir);
        Directory.CreateDirectory(_root);

        RemoveLeftovers();
        if (_quota.IsLimited)
        {
            // At start-up, before the first request: the files a restart finds count too.
            _index = new ConcurrentDictionary<string, StoredFile>(
                ListAllAsync(CancellationToken.None).GetAwaiter().GetResult().Select(f => KeyValuePair.Create(f.FileId, f)),
                StringComparer.Ordinal);
        }
    }

    public async Task<StoredFile> SaveAsync(string fileName, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var owner = CallerContext.Owner;
        // Room now, to refuse while streaming; the real check is at commit, under the lock.
        var usage = _quota.IsLimited ? Usage(owner) : default;
        var limit = Math.Min(maxBytes, _quota.Room(usage, owner));
        var staging = Path.Combine(_root, StagingPrefix + StoredFileId.New());
        Directory.CreateDirectory(staging);
        try
        {
            var size = await WriteContentAsync(
                Path.Combine(staging, ContentFileName), content, limit, received => _quota.Overrun(received, maxBytes, usage, owner),
                cancellationToken).ConfigureAwait(false);
            var file = new StoredFile(StoredFileId.New(), StoredFileName.Sanitize(fileName), size, _time.GetUtcNow())
            {
                Owner = owner,
            };
            await WriteMetadataAsync(Path.Combine(staging, MetadataFileName), file, cancellationToken).ConfigureAwait(false);
            Commit(staging, file);
            return file;
        }
        catch
        {
            TryDeleteDirectory(staging);
            throw;
        }
    }

    /// <summary>Makes the staged file visible: at once without limits, else only if it still fits, one file at a time.</summary>
    private void Commit(string staging, StoredFile file)
    {
        if (!_quota.IsLimited)
        {
            // The one step that makes the file visible, content and metadata together.
            Directory.Move(staging, PathOf(file.FileId));
            return;
        }

        lock (_commitGate)
        {
            _quota.Check(Usage(file.Owner), file.Owner, file.SizeBytes);
            Directory.Move(staging, PathOf(file.FileId));
            _index!.TryAdd(file.FileId, file);
        }
    }

    /// <summary>What the unexpired files take, all and <paramref name="owner"/>'s, from the index.</summary>
    private FileUsage Usage(string? owner)
    {
        var expiredBefore = _options.ExpiredBefore(_time.GetUtcNow());
        long store = 0, key = 0;
        foreach (var file in _index!.Values)
        {
            if (file.UploadTime >= expiredBefore)
            {
                store += file.SizeBytes;
                key += owner is not null && string.Equals(file.Owner, owner, StringComparison.Ordinal) ? file.SizeBytes : 0;
            }
        }

        return new FileUsage(store, key);
    }

    public async Task<StoredFile?> GetAsync(string fileId, CancellationToken cancellationToken)
    {
        if (!StoredFileId.IsWellFormed(fileId))
        {
            return null;
        }

        // Another key's file is not found, exactly like a file that does not exist.
        var file = await ReadMetadataAsync(fileId, cancellationToken).ConfigureAwait(false);
        return file?.IsVisibleTo(CallerContext.Owner) == true ? file : null;
    }

    public async Task<Stream?> OpenReadAsync(string fileId, CancellationToken cancellationToken)
    {
        if (await GetAsync(fileId, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        try
        {
            // FileShare.Delete: a download in progress does not block deleting the file.
            return new FileStream(
                Path.Combine(PathOf(fileId), ContentFileName), FileMode.Open, FileAccess.Read,
                FileShare.Read | FileShare.Delete, CopyBufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string fileId, CancellationToken cancellationToken) =>
        await GetAsync(fileId, cancellationToken).ConfigureAwait(false) is not null && Delete(fileId);

    private bool Delete(string fileId)
    {
        // Renamed away first: the id disappears in one step, and of two concurrent deletes one wins.
        var doomed = Path.Combine(_root, DeletingPrefix + StoredFileId.New());
        try
        {
            Directory.Move(PathOf(fileId), doomed);
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }

        _index?.TryRemove(fileId, out _);
        TryDeleteDirectory(doomed);
        return true;
    }

    public async Task<IReadOnlyList<StoredFile>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await ListAllAsync(cancellationToken).ConfigureAwait(false)).Where(f => f.IsVisibleTo(CallerContext.Owner))];

    /// <summary>Every stored file, whoever owns it (for expiry), oldest first.</summary>
    private async Task<List<StoredFile>> ListAllAsync(CancellationToken cancellationToken)
    {
        var files = new List<StoredFile>();
        foreach (var directory in Directory.EnumerateDirectories(_root))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = Path.GetFileName(directory);
            if (StoredFileId.IsWellFormed(id)
                && await ReadMetadataAsync(id, cancellationToken).ConfigureAwait(false) is { } file)
            {
                files.Add(file);
            }
        }

        files.Sort((a, b) => a.UploadTime.CompareTo(b.UploadTime));
        return files;
    }

    public async Task<int> DeleteExpiredAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var file in await ListAllAsync(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.UploadTime < olderThan && Delete(file.FileId))
            {
                deleted++;
            }
        }

        // Expired entries of files another process deleted first: they count for nothing, and go.
        foreach (var (id, file) in _index ?? [])
        {
            if (file.UploadTime < olderThan)
            {
                _index!.TryRemove(id, out _);
            }
        }

        RemoveLeftovers();
        return deleted;
    }

    private string PathOf(string fileId) => Path.Combine(_root, fileId);

    /// <summary>Writes the content; more than <paramref name="maxBytes"/> bytes throws what <paramref name="overrun"/> makes of the count.</summary>
    private static async Task<long> WriteContentAsync(
        string path, Stream content, long maxBytes, Func<long, Exception> overrun, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw overrun(total);
                    }

                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                // On disk before the rename makes it visible, so a power cut cannot expose a short file.
                target.Flush(flushToDisk: true);
                return total;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task WriteMetadataAsync(string path, StoredFile file, CancellationToken cancellationToken)
    {
        var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (target.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(target, file, LocalFileStoreJson.Default.StoredFile, cancellationToken)
                .ConfigureAwait(false);
            target.Flush(flushToDisk: true);
        }
    }

    private async Task<StoredFile?> ReadMetadataAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            var source = new FileStream(
                Path.Combine(PathOf(fileId), MetadataFileName), FileMode.Open, FileAccess.Read,
                FileShare.Read | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await using (source.ConfigureAwait(false))
            {
                var file = await JsonSerializer.DeserializeAsync(source, LocalFileStoreJson.Default.StoredFile, cancellationToken)
                    .ConfigureAwait(false);
                if (file is null || file.FileId != fileId || file.SizeBytes < 0)
                {
                    LogUnreadable(fileId, "metadata does not describe this file");
                    return null;
                }

                return file;
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted meanwhile.
            return null;
        }
        catch (JsonException ex)
        {
            LogUnreadable(fileId, ex.Message);
            return null;
        }
    }

    /// <summary>Removes what interrupted uploads and deletions left behind.</summary>
    private void RemoveLeftovers()
    {
        var abandonedBefore = _time.GetUtcNow().UtcDateTime - AbandonedStagingAge;
        var removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(_root))
        {
            var name = Path.GetFileName(directory);
            var leftover = name.StartsWith(DeletingPrefix, StringComparison.Ordinal)
                || (name.StartsWith(StagingPrefix, StringComparison.Ordinal) && LastWriteUtc(directory) < abandonedBefore);
            if (leftover && TryDeleteDirectory(directory))
            {
                removed++;
            }
        }

        if (removed > 0)
        {
            LogLeftoversRemoved(removed, _root);
        }
    }

    private static DateTime LastWriteUtc(string directory)
    {
        try
        {
            var latest = Directory.GetLastWriteTimeUtc(directory);
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                var written = File.GetLastWriteTimeUtc(file);
                latest = written > latest ? written : latest;
            }

            return latest;
        }
        catch (IOException)
        {
            // Gone or changing right now: someone is working on it.
            return DateTime.MaxValue;
        }
    }

    private bool TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Already invisible to the store; the next sweep or start-up tries again.
            LogCleanupFailed(ex, directory);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping stored file {FileId}: unreadable metadata ({Reason})")]
    private partial void LogUnreadable(string fileId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} leftover(s) of interrupted uploads or deletions in {Root}")]
    private partial void LogLeftoversRemoved(int count, string root);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove {Directory}; will retry later")]
    private partial void LogCleanupFailed(Exception ex, string directory);
}

/// <summary>The on-disk metadata format (snake_case, like the API).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StoredFile))]
internal sealed partial class LocalFileStoreJson : JsonSerializerContext;
