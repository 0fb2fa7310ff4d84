namespace CodeInterpreter.Cli;

/// <summary>An expected failure of a command: its message is printed as is, then cin exits with the code.</summary>
internal sealed class CinException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
