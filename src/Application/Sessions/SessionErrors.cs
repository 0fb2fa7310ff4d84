namespace CodeInterpreter.Application.Sessions;

/// <summary>Expected failures of the session use cases, in the words clients match.</summary>
internal static class SessionErrors
{
    public static NotFoundException NotFound(string sessionId) => new($"Session '{Printable(sessionId)}' not found");

    /// <summary>
    /// Why a session this replica does not hold cannot be used: gone (410) when the directory says its
    /// replica died, else not found. Another caller's session is not found, like one that never existed.
    /// </summary>
    public static async Task<Exception> MissingAsync(ISessionDirectory directory, string sessionId, CancellationToken cancellationToken)
    {
        var entry = await directory.FindAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return entry is { LostAt: not null } && string.Equals(entry.Owner, CallerContext.Owner, StringComparison.Ordinal)
            ? Lost(sessionId, entry.ReplicaId)
            : NotFound(sessionId);
    }

    /// <summary>410: the replica holding the session's sandbox is gone, and the sandbox with it.</summary>
    public static GoneException Lost(string sessionId, string replicaId) =>
        new($"Session '{Printable(sessionId)}' is lost: the replica that held its sandbox ({replicaId}) stopped; its interpreter state and workspace are gone. Open a new session.");

    private static string Printable(string sessionId) => new([.. sessionId.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}
