namespace CodeInterpreter.Infrastructure.Docker.Protocol;

/// <summary>Frame types of the runner protocol (docker/executor/PROTOCOL.md).</summary>
internal enum RunnerFrameType : byte
{
    Booted = (byte)'B',
    Ready = (byte)'R',
    Started = (byte)'S',
    Stdout = (byte)'o',
    Stderr = (byte)'e',
    File = (byte)'f',
    Display = (byte)'d',
    Result = (byte)'r',
    RunnerError = (byte)'x',
}

/// <summary>One complete frame from the runner; its payload is untrusted.</summary>
internal readonly record struct RunnerFrame(RunnerFrameType Type, byte[] Payload);

/// <summary>The runner broke the protocol: the execution ends with an error.</summary>
internal sealed class RunnerProtocolException(string message) : Exception(message);
