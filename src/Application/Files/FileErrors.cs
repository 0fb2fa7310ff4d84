namespace CodeInterpreter.Application.Files;

/// <summary>Expected failures of the file use cases, in the words clients match.</summary>
internal static class FileErrors
{
    public static NotFoundException NotFound(string fileId) => new($"File with ID '{fileId}' not found");
}
