namespace CodeInterpreter.Infrastructure.Files;

/// <summary>
/// FILE_STORAGE_DIR must be a directory the embedded file store can create: checked with the other
/// options at start-up, so a bad value stops the service with one line instead of a failed host.
/// </summary>
internal sealed class FileStorageDirectoryValidation : IValidateOptions<FileStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, FileStorageOptions options)
    {
        if (string.IsNullOrEmpty(options.StorageDir))
        {
            return ValidateOptionsResult.Skip; // the data annotations say it must not be empty
        }

        try
        {
            Directory.CreateDirectory(Path.GetFullPath(options.StorageDir));
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return ValidateOptionsResult.Fail($"FILE_STORAGE_DIR '{options.StorageDir}' cannot be used as the file store: {ex.Message}");
        }
    }
}
