namespace CodeInterpreter.Application.Common;

/// <summary>
/// Who is calling: the owner id of the API key of the current request (null when the service runs
/// without API_KEYS). Set once per request by the API; it flows with the request's async work,
/// including a background execution it submits, so files stay with the key that made them.
/// </summary>
public static class CallerContext
{
    private static readonly AsyncLocal<string?> CurrentOwner = new();

    public static string? Owner
    {
        get => CurrentOwner.Value;
        set => CurrentOwner.Value = value;
    }
}
