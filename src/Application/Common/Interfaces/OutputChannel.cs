namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Which output stream a chunk came from.</summary>
public enum OutputChannel
{
    Stdout,
    Stderr,
}
