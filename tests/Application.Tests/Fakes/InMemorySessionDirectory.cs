using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>A session directory a test fills by hand (e.g. with a lost session).</summary>
internal sealed class InMemorySessionDirectory : ISessionDirectory
{
    public Dictionary<string, SessionLocation> Entries { get; } = [];

    public Task RegisterAsync(SessionLocation session, CancellationToken cancellationToken)
    {
        Entries[session.SessionId] = session;
        return Task.CompletedTask;
    }

    public Task<SessionLocation?> FindAsync(string sessionId, CancellationToken cancellationToken) =>
        Task.FromResult(Entries.GetValueOrDefault(sessionId));

    public Task ForgetAsync(string sessionId, CancellationToken cancellationToken)
    {
        Entries.Remove(sessionId);
        return Task.CompletedTask;
    }
}
