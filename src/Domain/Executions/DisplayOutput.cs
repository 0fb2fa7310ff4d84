namespace CodeInterpreter.Domain.Executions;

/// <summary>One thing the code displayed (Jupyter-style): a <c>display(obj)</c>, a figure of <c>plt.show()</c>, the REPL echo of a trailing expression.</summary>
/// <param name="Type"><see cref="DisplayData"/> or <see cref="ExecuteResult"/>.</param>
/// <param name="Data">A MIME bundle: MIME type to content. Text types hold their text, images base64, <c>application/json</c> the JSON text.</param>
/// <param name="Truncated">Part of the bundle was cut (over the byte bound, a MIME type that is not allowed, malformed).</param>
public sealed record DisplayOutput(string Type, IReadOnlyDictionary<string, string> Data, bool Truncated)
{
    /// <summary>A <c>display(obj)</c> call or a figure shown.</summary>
    public const string DisplayData = "display_data";

    /// <summary>The value of the trailing expression (with <c>last_line_interactive</c>).</summary>
    public const string ExecuteResult = "execute_result";

    /// <summary>The MIME type whose content is JSON rather than text.</summary>
    public const string JsonMimeType = "application/json";
}
