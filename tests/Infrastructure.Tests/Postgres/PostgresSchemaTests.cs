using CodeInterpreter.Infrastructure.Postgres;

namespace CodeInterpreter.Infrastructure.Tests.Postgres;

[TestFixture]
public sealed class PostgresSchemaTests
{
    [Test]
    public async Task Replicas_starting_at_once_apply_each_schema_step_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        var replicas = Enumerable.Range(0, 6).Select(_ => database.Open()).ToList();

        await Task.WhenAll(replicas.Select(r => Task.Run(() => r.EnsureSchemaAsync(CancellationToken.None))));

        (await database.ScalarAsync("SELECT count(*) FROM schema_migrations")).Should().Be(PostgresMigrations.Steps.Count);
        (await database.ScalarAsync("SELECT count(DISTINCT version) FROM schema_migrations")).Should().Be(PostgresMigrations.Steps.Count);
        (await database.ScalarAsync("SELECT max(version) FROM schema_migrations")).Should().Be(PostgresMigrations.Steps[^1].Version);
    }

    [Test]
    public async Task A_schema_already_up_to_date_is_left_as_it_is()
    {
        await using var database = await TestDatabase.CreateAsync();
        await database.Open().EnsureSchemaAsync(CancellationToken.None);
        var appliedAt = await database.ScalarAsync("SELECT extract(epoch FROM max(applied_at))::bigint FROM schema_migrations");

        await database.Open().EnsureSchemaAsync(CancellationToken.None);

        (await database.ScalarAsync("SELECT count(*) FROM schema_migrations")).Should().Be(PostgresMigrations.Steps.Count);
        (await database.ScalarAsync("SELECT extract(epoch FROM max(applied_at))::bigint FROM schema_migrations")).Should().Be(appliedAt);
    }

    [Test]
    public async Task A_database_that_does_not_answer_is_reported_as_unavailable_naming_it()
    {
        var unreachable = new PostgresDatabase(
            DatabaseConnection.Parse("postgres://app:hunter2@127.0.0.1:9/state"),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresDatabase>.Instance);
        await using (unreachable)
        {
            var open = () => unreachable.OpenAsync(CancellationToken.None);

            (await open.Should().ThrowAsync<CodeInterpreter.Application.Common.Exceptions.ServiceUnavailableException>())
                .Which.Message.Should().Contain("PostgreSQL at 127.0.0.1:9/state").And.NotContain("hunter2");
        }
    }
}
