using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Executions;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Tests.Postgres;
using CodeInterpreter.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Executions;

/// <summary>
/// MAX_CONCURRENT_EXECUTIONS_PER_KEY across replicas on a real PostgreSQL: each share is a replica (its own
/// database handle and identity) on one schema.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class PostgresExecutionSharesTests
{
    private TestDatabase _database = null!;

    [SetUp]
    public async Task CreateSchema() => _database = await TestDatabase.CreateAsync();

    [TearDown]
    public async Task DropSchema() => await _database.DisposeAsync();

    [Test]
    public async Task A_keys_call_on_one_replica_takes_its_place_on_every_replica_and_gives_it_back_when_it_ends()
    {
        var first = Replica(limit: 1);
        var second = Replica(limit: 1);

        var running = await first.EnterAsync("alice", CancellationToken.None);
        var refused = async () => await second.EnterAsync("alice", CancellationToken.None);
        await refused.Should().ThrowAsync<TooManyRequestsException>().WithMessage("*MAX_CONCURRENT_EXECUTIONS_PER_KEY*");
        await using (await second.EnterAsync("bob", CancellationToken.None))
        {
        }

        await running.DisposeAsync();
        await using var after = await second.EnterAsync("alice", CancellationToken.None);

        (await _database.ScalarAsync("SELECT count(*) FROM execution_calls")).Should().Be(1, "only the last call of alice runs");
    }

    [Test]
    public async Task Calls_of_one_key_entering_at_once_on_six_replicas_take_exactly_its_limit()
    {
        var replicas = Enumerable.Range(0, 6).Select(_ => Replica(limit: 2)).ToList();

        var entered = await Task.WhenAll(replicas.Select(replica => Task.Run(async () =>
        {
            try
            {
                return await replica.EnterAsync("alice", CancellationToken.None);
            }
            catch (TooManyRequestsException)
            {
                return null;
            }
        })));

        entered.Count(place => place is not null).Should().Be(2);
    }

    [Test]
    public async Task A_dead_replicas_call_gives_its_keys_place_back_once_its_lease_runs_out()
    {
        var dying = Replica(limit: 1, leaseSec: 3);
        var survivor = Replica(limit: 1, leaseSec: 3);
        // Entered and never left nor renewed: the replica was killed.
        _ = await dying.EnterAsync("alice", CancellationToken.None);
        var refusedAtOnce = async () => await survivor.EnterAsync("alice", CancellationToken.None);
        await refusedAtOnce.Should().ThrowAsync<TooManyRequestsException>();

        var freed = await RealEngine.EventuallyAsync(async () =>
        {
            try
            {
                await using var place = await survivor.EnterAsync("alice", CancellationToken.None);
                return true;
            }
            catch (TooManyRequestsException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));

        freed.Should().BeTrue("the dead replica's call stops counting when its lease (EXECUTION_LEASE_SEC) runs out");
    }

    private PostgresExecutionShares Replica(int limit, int leaseSec = 30) => new(
        _database.Open(),
        new ReplicaIdentity(MsOptions.Create(new ReplicaOptions())),
        MsOptions.Create(new DatabaseOptions { ExecutionLeaseSec = leaseSec }),
        MsOptions.Create(new ConcurrencyOptions { MaxConcurrentExecutionsPerKey = limit }),
        NullLogger<PostgresExecutionShares>.Instance);
}
