using CodeInterpreter.Infrastructure.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CodeInterpreter.Infrastructure.Tests.Postgres;

/// <summary>
/// The real PostgreSQL the tests run against (TEST_DATABASE_URL, started by ./test.sh through
/// scripts/setup.sh's ensure_postgres), with one fresh schema per test so tests running at once never
/// see each other's rows; <see cref="DisposeAsync"/> drops it.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly List<PostgresDatabase> _opened = [];

    private TestDatabase(NpgsqlConnectionStringBuilder connection, string schema)
    {
        Connection = connection;
        Schema = schema;
    }

    /// <summary>The connection to the test's schema (its search path).</summary>
    public NpgsqlConnectionStringBuilder Connection { get; }

    public string Schema { get; }

    /// <summary>TEST_DATABASE_URL; fails the test (never skips it) when it is not set.</summary>
    public static string Url =>
        Environment.GetEnvironmentVariable("TEST_DATABASE_URL") is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                "TEST_DATABASE_URL is not set: the PostgreSQL tests need the database ./test.sh starts "
                + "(or run `source scripts/setup.sh && ensure_postgres` and test in the same shell).");

    public static async Task<TestDatabase> CreateAsync()
    {
        var builder = DatabaseConnection.Parse(Url);
        var schema = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new TestDatabase(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { SearchPath = schema }, schema);
    }

    /// <summary>A database handle as one service process would have it (its own pool and schema check).</summary>
    public PostgresDatabase Open()
    {
        var database = new PostgresDatabase(new NpgsqlConnectionStringBuilder(Connection.ConnectionString), NullLogger<PostgresDatabase>.Instance);
        _opened.Add(database);
        return database;
    }

    /// <summary>One number from the test's schema (a count, say).</summary>
    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Connection.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(Connection.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA {Schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
