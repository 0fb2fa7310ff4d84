using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>
/// What the runner needs to run one program, one-shot (<see cref="RunnerRequest"/>) or as a session's
/// cell (<c>SessionExecuteOp</c>): the code, its input, its limits and what to send back
/// (PROTOCOL.md, "Request frame"). Built in one place, <see cref="Of"/>.
/// </summary>
internal record RunnerProgram(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("stdin")] string? Stdin,
    [property: JsonPropertyName("last_line_interactive")] bool LastLineInteractive,
    [property: JsonPropertyName("argv")] IReadOnlyList<string> Argv,
    [property: JsonPropertyName("env")] IReadOnlyDictionary<string, string> Env,
    [property: JsonPropertyName("cpu_time_limit_sec")] int CpuTimeLimitSec,
    [property: JsonPropertyName("max_output_bytes")] long MaxOutputBytes,
    [property: JsonPropertyName("fsize_limit_bytes")] long FsizeLimitBytes,
    [property: JsonPropertyName("nofile_limit")] int NofileLimit,
    [property: JsonPropertyName("max_files")] int MaxFiles,
    [property: JsonPropertyName("max_files_bytes")] long MaxFilesBytes,
    [property: JsonPropertyName("max_output_items")] int MaxOutputItems,
    [property: JsonPropertyName("max_display_bytes")] int MaxDisplayBytes)
{
    /// <summary>The program of <paramref name="request"/> under the server's <paramref name="settings"/>.</summary>
    public static RunnerProgram Of(SandboxRequest request, SandboxOptions settings) => new(
        request.Code,
        request.Stdin,
        request.LastLineInteractive,
        request.Argv,
        request.Env,
        request.Limits.CpuTimeLimitSec,
        // One byte over the cap lets the service see for itself that output was cut.
        request.Limits.MaxOutputBytes + 1,
        FsizeLimitBytes: settings.WorkspaceSizeMb * 1024L * 1024L,
        settings.NofileLimit,
        MaxFiles: request.GeneratedFiles is null ? 0 : request.Limits.MaxGeneratedFiles,
        MaxFilesBytes: request.GeneratedFiles is null ? 0 : request.Limits.MaxGeneratedBytes,
        request.Limits.MaxOutputItems,
        DisplayOutputs.MaxItemBytes(request.Limits));
}
