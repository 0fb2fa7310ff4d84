using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Application.Sessions;

/// <summary>The rules requests about sessions must satisfy, against the server's limits.</summary>
internal static class SessionRules
{
    public const int MinTtlSeconds = 1;
    public const int MaxTtlSeconds = 86_400;

    public static TimeSpan CheckTtl(int ttlSeconds) =>
        ttlSeconds is >= MinTtlSeconds and <= MaxTtlSeconds
            ? TimeSpan.FromSeconds(ttlSeconds)
            : throw new RequestValidationException(
                "ttl_seconds", $"ttl_seconds must be between {MinTtlSeconds} and {MaxTtlSeconds}, not {ttlSeconds}");

    /// <summary>Each staged file's parsed path with its id; paths must be valid and unique.</summary>
    public static List<(WorkspacePath Path, string FileId)> CheckFiles(IReadOnlyList<WorkspaceFileReference> files, ExecutionOptions limits)
    {
        if (files.Count > limits.MaxFilesPerExecution)
        {
            throw new RequestValidationException("files", $"files exceed maximum of {limits.MaxFilesPerExecution} per session");
        }

        var staged = new List<(WorkspacePath Path, string FileId)>(files.Count);
        foreach (var file in files)
        {
            if (!WorkspacePath.TryParse(file.Path, out var path, out var error))
            {
                throw new RequestValidationException("files", error);
            }

            if (staged.Any(s => s.Path == path))
            {
                throw new RequestValidationException("files", $"File paths must be unique: '{path.Value}' is given twice");
            }

            staged.Add((path, file.FileId));
        }

        return staged;
    }

    public static TimeSpan CheckShell(string? cmd, int timeoutMs, ExecutionOptions limits)
    {
        if (string.IsNullOrWhiteSpace(cmd))
        {
            throw new RequestValidationException("cmd", "cmd must not be empty");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(cmd) > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("cmd", $"cmd exceeds maximum of {limits.MaxCodeBytes} bytes");
        }

        if (cmd.Contains('\0', StringComparison.Ordinal))
        {
            throw new RequestValidationException("cmd", "cmd must not contain NUL");
        }

        if (timeoutMs < 1)
        {
            throw new RequestValidationException("timeout_ms", "timeout_ms must be at least 1 ms");
        }

        // The same bound as code (MAX_EXEC_TIMEOUT_MS, 60000 by default: the reference's bash maximum).
        return timeoutMs <= limits.MaxExecTimeoutMs
            ? TimeSpan.FromMilliseconds(timeoutMs)
            : throw new RequestValidationException("timeout_ms", $"timeout_ms exceeds maximum of {limits.MaxExecTimeoutMs} ms");
    }
}
