namespace CodeInterpreter.Application.Common;

/// <summary>What the unexpired files of the store take, in bytes: all of them, and the caller's key's.</summary>
public readonly record struct FileUsage(long StoreBytes, long KeyBytes);
