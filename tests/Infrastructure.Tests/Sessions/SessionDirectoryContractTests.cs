using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Sessions;
using CodeInterpreter.Infrastructure.Tests.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>What every <see cref="ISessionDirectory"/> does, the embedded one and the PostgreSQL one alike.</summary>
public abstract class SessionDirectoryContractTests
{
    private protected abstract ISessionDirectory CreateDirectory();

    private static SessionLocation Entry(string id, string? owner = "team-a") =>
        new(id, owner, "replica-1", "http://10.0.0.5:8000", "c0ffee", new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Test]
    public async Task A_registered_session_is_found_with_where_it_lives()
    {
        var directory = CreateDirectory();
        var entry = Entry("code-session-one");

        await directory.RegisterAsync(entry, CancellationToken.None);
        var found = await directory.FindAsync("code-session-one", CancellationToken.None);

        found.Should().Be(entry);
        found!.LostAt.Should().BeNull();
    }

    [Test]
    public async Task A_forgotten_session_is_unknown()
    {
        var directory = CreateDirectory();
        await directory.RegisterAsync(Entry("code-session-two", owner: null), CancellationToken.None);

        await directory.ForgetAsync("code-session-two", CancellationToken.None);

        (await directory.FindAsync("code-session-two", CancellationToken.None)).Should().BeNull();
    }

    [Test]
    public async Task An_unknown_session_is_not_found()
    {
        (await CreateDirectory().FindAsync("code-session-none", CancellationToken.None)).Should().BeNull();
    }
}

[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class InMemorySessionDirectoryTests : SessionDirectoryContractTests
{
    private readonly InMemorySessionDirectory _directory = new(new ReplicaIdentity(MsOptions.Create(new ReplicaOptions())));

    private protected override ISessionDirectory CreateDirectory() => _directory;
}

[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class PostgresSessionDirectoryTests : SessionDirectoryContractTests
{
    private TestDatabase _database = null!;

    [SetUp]
    public async Task CreateSchema() => _database = await TestDatabase.CreateAsync();

    [TearDown]
    public async Task DropSchema() => await _database.DisposeAsync();

    private protected override ISessionDirectory CreateDirectory() => Directory(_database.Open(), new ReplicaIdentity(MsOptions.Create(new ReplicaOptions())));

    [Test]
    public async Task The_sessions_of_a_replica_that_stopped_heart_beating_are_marked_lost_and_a_live_ones_are_not()
    {
        var database = _database.Open();
        var alive = new ReplicaIdentity(MsOptions.Create(new ReplicaOptions { ReplicaId = "replica-a" }));
        var directory = Directory(database, alive);
        var heartbeat = new ReplicaHeartbeat(
            null!, alive, MsOptions.Create(new DatabaseOptions { ReplicaTimeoutSec = 10 }), TimeProvider.System, NullLogger<ReplicaHeartbeat>.Instance);
        await heartbeat.BeatAsync(database, CancellationToken.None);
        await _database.ScalarAsync("INSERT INTO replicas (replica_id, last_seen) VALUES ('dead-replica', now() - interval '1 minute')");
        var expires = DateTimeOffset.UtcNow.AddMinutes(10);
        await directory.RegisterAsync(new SessionLocation("code-session-dead", null, "dead-replica", null, "c1", expires), CancellationToken.None);
        await directory.RegisterAsync(new SessionLocation("code-session-live", null, alive.Id, null, "c2", expires), CancellationToken.None);

        await heartbeat.BeatAsync(database, CancellationToken.None);

        (await directory.FindAsync("code-session-dead", CancellationToken.None))!.LostAt.Should().NotBeNull();
        (await directory.FindAsync("code-session-live", CancellationToken.None))!.LostAt.Should().BeNull();
        (await _database.ScalarAsync("SELECT count(*) FROM replicas WHERE replica_id = 'dead-replica'")).Should().Be(0, "a gone replica leaves the registry");
    }

    [Test]
    public async Task A_replica_is_alive_while_its_heartbeat_is_recent_and_not_after_the_timeout_or_unknown()
    {
        var database = _database.Open();
        var alive = new ReplicaIdentity(MsOptions.Create(new ReplicaOptions { ReplicaId = "replica-b" }));
        var directory = Directory(database, alive);
        var heartbeat = new ReplicaHeartbeat(
            null!, alive, MsOptions.Create(new DatabaseOptions { ReplicaTimeoutSec = 10 }), TimeProvider.System, NullLogger<ReplicaHeartbeat>.Instance);
        await heartbeat.BeatAsync(database, CancellationToken.None);
        await _database.ScalarAsync("INSERT INTO replicas (replica_id, last_seen) VALUES ('silent-replica', now() - interval '11 seconds')");

        (await directory.IsReplicaAliveAsync(alive.Id, CancellationToken.None)).Should().BeTrue();
        (await directory.IsReplicaAliveAsync("silent-replica", CancellationToken.None)).Should().BeFalse("its last heartbeat is older than REPLICA_TIMEOUT_SEC");
        (await directory.IsReplicaAliveAsync("never-seen", CancellationToken.None)).Should().BeFalse();
        alive.Id.Should().StartWith("replica-b/", "the registry's id starts with REPLICA_ID");
        directory.LocalReplicaId.Should().Be(alive.Id);
    }

    private static PostgresSessionDirectory Directory(PostgresDatabase database, ReplicaIdentity replica) =>
        new(database, replica, MsOptions.Create(new DatabaseOptions { ReplicaTimeoutSec = 10 }));
}
