using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Sessions;
using CodeInterpreter.Application.Tests.Fakes;

namespace CodeInterpreter.Application.Tests.Sessions;

/// <summary>Where a session call is served: forwarded only to another live replica's session of the same caller.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class LocateSessionHandlerTests : IDisposable
{
    private readonly ApplicationUnderTest _app = new();

    public void Dispose() => _app.Dispose();

    private void Register(string replicaId, string? url, string? owner = null, bool lost = false) =>
        _app.SessionDirectory.Entries["code-session-x"] = new SessionLocation(
            "code-session-x", owner, replicaId, url, "c0ffee", DateTimeOffset.UtcNow.AddMinutes(5)) { LostAt = lost ? DateTimeOffset.UtcNow : null };

    [Test]
    public async Task Another_replicas_session_goes_to_its_internal_url()
    {
        Register("replica-b", "http://127.0.0.7:8000");

        var route = await _app.Send(new LocateSessionQuery("code-session-x"));

        route.IsRemote.Should().BeTrue();
        route.OwnerUrl.Should().Be(new Uri("http://127.0.0.7:8000"));
        route.OwnerReplicaId.Should().Be("replica-b");
        route.OwnerGone("code-session-x").Message.Should().StartWith("Session 'code-session-x' is lost: the replica that held its sandbox (replica-b) stopped");
    }

    [Test]
    public async Task This_replicas_own_session_is_served_here()
    {
        Register("this-replica", "http://127.0.0.5:8000");

        (await _app.Send(new LocateSessionQuery("code-session-x"))).IsRemote.Should().BeFalse();
    }

    [Test]
    public async Task An_unknown_session_is_served_here_where_it_answers_404()
    {
        (await _app.Send(new LocateSessionQuery("code-session-none"))).IsRemote.Should().BeFalse();
    }

    [Test]
    public async Task A_lost_session_is_served_here_where_it_answers_410()
    {
        Register("replica-b", "http://127.0.0.7:8000", lost: true);

        (await _app.Send(new LocateSessionQuery("code-session-x"))).IsRemote.Should().BeFalse();
    }

    [Test]
    public async Task A_session_of_a_replica_without_REPLICA_URL_is_served_here()
    {
        Register("replica-b", null);

        (await _app.Send(new LocateSessionQuery("code-session-x"))).IsRemote.Should().BeFalse();
    }

    [Test]
    public async Task Another_callers_session_is_never_forwarded()
    {
        Register("replica-b", "http://127.0.0.7:8000", owner: "someone-else");
        CallerContext.Owner = "me";
        try
        {
            (await _app.Send(new LocateSessionQuery("code-session-x"))).IsRemote.Should().BeFalse();
        }
        finally
        {
            CallerContext.Owner = null;
        }
    }

    [Test]
    public async Task A_replica_is_alive_only_with_a_recent_heartbeat()
    {
        _app.SessionDirectory.AliveReplicas.Add("replica-b");

        (await _app.Send(new IsReplicaAliveQuery("replica-b"))).Should().BeTrue();
        (await _app.Send(new IsReplicaAliveQuery("replica-c"))).Should().BeFalse();
    }
}
