using System.Text.Json.Serialization;
using CodeInterpreter.Infrastructure.Docker.Protocol;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>Interrupts the running cell: KeyboardInterrupt, then a restart of the interpreter after the grace.</summary>
internal sealed record SessionInterruptOp
{
    public static readonly byte[] Frame = RunnerInputFrame.Encode(new SessionInterruptOp(), SessionJsonContext.Default.SessionInterruptOp);

    [JsonPropertyName("op")]
    public string Op { get; } = "interrupt";
}
