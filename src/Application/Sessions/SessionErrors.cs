namespace CodeInterpreter.Application.Sessions;

/// <summary>Expected failures of the session use cases, in the words clients match.</summary>
internal static class SessionErrors
{
    public static NotFoundException NotFound(string sessionId) =>
        new($"Session '{new string([.. sessionId.Take(100).Select(c => char.IsControl(c) ? '?' : c)])}' not found");
}
