namespace CodeInterpreter.Application.Common;

/// <summary>A stored file resolved for staging: the (checked) workspace path it goes to and what the store holds.</summary>
internal sealed record StagedFile(WorkspacePath Path, StoredFile File);
