namespace CodeInterpreter.Application.Common.Exceptions;

/// <summary>
/// The file store, or the caller's share of it, has no room for a file: answered 507 Insufficient Storage
/// when the whole store is at FILE_STORE_MAX_MB, 413 when the caller's key is at FILE_STORE_MAX_MB_PER_KEY.
/// </summary>
public sealed class StorageQuotaExceededException(string message, string reason, bool callersShare) : Exception(message)
{
    /// <summary>True: the caller's key is over its share (413); false: the whole store is full (507).</summary>
    public bool CallersShare { get; } = callersShare;

    /// <summary>The refusal in a few words, for a generated file that is dropped instead of stored.</summary>
    public string Reason { get; } = reason;
}
