namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>A shell command (<c>sh -c</c>) to run as the sandbox user in the session's workspace.</summary>
public sealed record ShellCommand(string Cmd, TimeSpan Timeout, long MaxOutputBytes);
