namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// The label that marks a sandbox as a session's, beside the labels every sandbox carries (so the
/// start-up reaper removes session containers left behind by a crash like any other sandbox).
/// </summary>
internal static class SessionLabels
{
    public const string SessionId = "code-interpreter.session";
}
