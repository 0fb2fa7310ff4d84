using System.Text.Json.Serialization;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>Runs a cell in the session's interpreter (PROTOCOL.md, "Session mode").</summary>
internal sealed record SessionExecuteOp : RunnerProgram
{
    private SessionExecuteOp(RunnerProgram program, int interruptGraceMs)
        : base(program)
    {
        InterruptGraceMs = interruptGraceMs;
    }

    [JsonPropertyName("op")]
    public string Op { get; } = "execute";

    /// <summary>How long the code may ignore an interrupt before the interpreter is killed and restarted.</summary>
    [JsonPropertyName("interrupt_grace_ms")]
    public int InterruptGraceMs { get; }

    /// <summary>The cell of <paramref name="request"/> under the server's <paramref name="settings"/>.</summary>
    public static SessionExecuteOp For(SandboxRequest request, SandboxOptions settings, TimeSpan interruptGrace) =>
        new(RunnerProgram.Of(request, settings), (int)interruptGrace.TotalMilliseconds);

    public byte[] ToFrame() => RunnerInputFrame.Encode(this, SessionJsonContext.Default.SessionExecuteOp);
}
