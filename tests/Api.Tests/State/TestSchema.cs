using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// A fresh schema in the real PostgreSQL of the tests (TEST_DATABASE_URL, started by ./test.sh), so the
/// services of one test share their state with each other and with no other test; dropped at dispose.
/// </summary>
internal sealed class TestSchema : IAsyncDisposable
{
    private TestSchema(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>What a service under test gets as DATABASE_URL (an Npgsql connection string with the schema as its search path).</summary>
    public string ConnectionString { get; }

    public static async Task<TestSchema> CreateAsync()
    {
        var url = Environment.GetEnvironmentVariable("TEST_DATABASE_URL") is { Length: > 0 } set
            ? set
            : throw new InvalidOperationException(
                "TEST_DATABASE_URL is not set: the PostgreSQL tests need the database ./test.sh starts "
                + "(or run `source scripts/setup.sh && ensure_postgres` and test in the same shell).");
        var builder = DatabaseConnection.Parse(url);
        var name = $"t_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        builder.SearchPath = name;
        return new TestSchema(name, builder.ConnectionString);
    }

    /// <summary>One value from the test's schema.</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA {Name} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
