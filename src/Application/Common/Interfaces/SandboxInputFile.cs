namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>A file to place at <see cref="Path"/> in the workspace.</summary>
public sealed record SandboxInputFile(WorkspacePath Path, ReadOnlyMemory<byte> Content);
