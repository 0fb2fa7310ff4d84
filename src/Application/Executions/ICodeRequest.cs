namespace CodeInterpreter.Application.Executions;

/// <summary>What every request to run code carries: a one-off execution and a call into a session alike.</summary>
internal interface ICodeRequest
{
    string? Code { get; }

    string? Stdin { get; }

    int TimeoutMs { get; }

    bool LastLineInteractive { get; }

    IReadOnlyDictionary<string, string> Env { get; }

    IReadOnlyList<string> Args { get; }
}
