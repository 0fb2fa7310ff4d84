using System.Globalization;

namespace CodeInterpreter.Application.Common;

/// <summary>
/// FILE_STORE_MAX_MB (every unexpired file together) and FILE_STORE_MAX_MB_PER_KEY (the files of one API
/// key; with no API keys there is no key, and only the total applies). The stores ask it how much room a
/// new file has before they stream it (to refuse early) and check the file's real size before they make
/// it visible; the second check is the one that holds, under the store's lock.
/// </summary>
public sealed record FileQuota(long MaxStoreBytes, long MaxKeyBytes)
{
    private const double BytesPerMb = 1024 * 1024;

    /// <summary>The limits of <paramref name="options"/> (0 = none).</summary>
    public static FileQuota Of(FileStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new FileQuota(options.MaxStoreMb * 1024L * 1024L, options.MaxStoreMbPerKey * 1024L * 1024L);
    }

    /// <summary>Whether any limit is set (else the stores skip the accounting).</summary>
    public bool IsLimited => MaxStoreBytes > 0 || MaxKeyBytes > 0;

    /// <summary>The most bytes a new file of <paramref name="owner"/> may have now (never negative).</summary>
    public long Room(FileUsage usage, string? owner)
    {
        var room = long.MaxValue;
        if (AppliesToKey(owner))
        {
            room = Math.Min(room, MaxKeyBytes - usage.KeyBytes);
        }

        if (MaxStoreBytes > 0)
        {
            room = Math.Min(room, MaxStoreBytes - usage.StoreBytes);
        }

        return Math.Max(0, room);
    }

    /// <summary>Throws when a file of <paramref name="size"/> bytes does not fit beside <paramref name="usage"/>.</summary>
    /// <exception cref="StorageQuotaExceededException">The key's share (checked first) or the store is full.</exception>
    public void Check(FileUsage usage, string? owner, long size)
    {
        if (size > Room(usage, owner))
        {
            throw Refusal(usage, owner, size);
        }
    }

    /// <summary>
    /// What to throw when <paramref name="received"/> bytes are more than the smaller of
    /// <paramref name="maxFileBytes"/> and <see cref="Room"/>: the file is too large, or it does not fit.
    /// </summary>
    public Exception Overrun(long received, long maxFileBytes, FileUsage usage, string? owner) =>
        received > maxFileBytes ? PayloadTooLargeException.ForFile(maxFileBytes) : Refusal(usage, owner, received);

    /// <summary>The refusal of a file of at least <paramref name="size"/> bytes.</summary>
    public StorageQuotaExceededException Refusal(FileUsage usage, string? owner, long size)
    {
        if (AppliesToKey(owner) && usage.KeyBytes + size > MaxKeyBytes)
        {
            return new StorageQuotaExceededException(
                $"This API key's share of the file store is used up (FILE_STORE_MAX_MB_PER_KEY = {Mb(MaxKeyBytes)} MB): "
                + $"{Mb(usage.KeyBytes)} MB are stored under this key and this file needs at least {Mb(size)} MB more. "
                + "Delete files of this key or wait until they expire.",
                $"FILE_STORE_MAX_MB_PER_KEY: this key's share ({Mb(MaxKeyBytes)} MB) is used up",
                callersShare: true);
        }

        return new StorageQuotaExceededException(
            $"The file store is full (FILE_STORE_MAX_MB = {Mb(MaxStoreBytes)} MB): {Mb(usage.StoreBytes)} MB are stored "
            + $"and this file needs at least {Mb(size)} MB more. Delete files or wait until older ones expire.",
            $"FILE_STORE_MAX_MB: the file store ({Mb(MaxStoreBytes)} MB) is full",
            callersShare: false);
    }

    private bool AppliesToKey(string? owner) => owner is not null && MaxKeyBytes > 0;

    private static string Mb(long bytes) => (bytes / BytesPerMb).ToString("0.##", CultureInfo.InvariantCulture);
}
