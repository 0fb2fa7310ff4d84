using System.Text.Json.Serialization;

namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>The one request frame a one-shot runner reads from stdin (PROTOCOL.md, "Request frame").</summary>
internal sealed record RunnerRequest : RunnerProgram
{
    private RunnerRequest(RunnerProgram program, IReadOnlyList<RunnerInputFile> files, string? entrypoint)
        : base(program)
    {
        Files = files;
        Entrypoint = entrypoint;
    }

    /// <summary>Report the trailing expression's value as <c>last_expression_value</c> (one-shot only).</summary>
    [JsonPropertyName("eval_last_expression")]
    public bool EvalLastExpression { get; private init; }

    /// <summary>Shell lines the runner joins by <c>&amp;&amp;</c> and runs before the code (one-shot only).</summary>
    [JsonPropertyName("pre_commands")]
    public IReadOnlyList<string> PreCommands { get; private init; } = [];

    /// <summary>Written under the workspace before the code runs.</summary>
    [JsonPropertyName("files")]
    public IReadOnlyList<RunnerInputFile> Files { get; }

    [JsonPropertyName("entrypoint")]
    public string? Entrypoint { get; }

    /// <summary>The request of <paramref name="request"/> under the server's <paramref name="settings"/>.</summary>
    public static RunnerRequest For(SandboxRequest request, SandboxOptions settings) => new(
        RunnerProgram.Of(request, settings), [.. request.InputFiles.Select(RunnerInputFile.Of)], request.Entrypoint)
    {
        EvalLastExpression = request.EvalLastExpression,
        PreCommands = request.PreCommands,
    };

    /// <summary>The frame to write to the runner's stdin.</summary>
    public byte[] ToFrame() => RunnerInputFrame.Encode(this, RunnerJsonContext.Default.RunnerRequest);
}
