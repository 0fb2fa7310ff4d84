using System.Net.Sockets;
using CodeInterpreter.Application.Common.Exceptions;
using Npgsql;

namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>
/// The shared-state database: one Npgsql data source (its pool), the schema brought up to date before
/// first use (once per process; several replicas starting at once take turns on an advisory lock),
/// and a database that does not answer turned into 503 problem details that name it.
/// </summary>
internal sealed partial class PostgresDatabase : IAsyncDisposable
{
    // Any fixed number shared by every replica; "ci-schema" in ASCII.
    private const long MigrationLockKey = 0x63692D736368656D;
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresDatabase> _logger;
    private readonly SemaphoreSlim _schemaGate = new(1, 1);
    private volatile bool _schemaReady;

    public PostgresDatabase(NpgsqlConnectionStringBuilder connection, ILogger<PostgresDatabase> logger)
    {
        _logger = logger;
        Location = DatabaseConnection.Describe(connection);
        _dataSource = NpgsqlDataSource.Create(connection);
    }

    /// <summary><c>host:port/database</c>: what logs and problem details name (never the password).</summary>
    public string Location { get; }

    /// <summary>An open connection (the caller disposes it) on an up-to-date schema.</summary>
    /// <exception cref="ServiceUnavailableException">The database does not answer.</exception>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Runs <paramref name="work"/> on a connection; the database going away midway is a 503 too.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                return await work(connection).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUnreachable(ex))
            {
                throw Unavailable(ex);
            }
        }
    }

    /// <summary>Applies the steps of <see cref="PostgresMigrations"/> not applied yet, under the advisory lock.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // Held until commit: a replica starting at the same moment waits, then finds the steps applied.
                    await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
                    await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
                    int applied;
                    await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_migrations", connection))
                    {
                        applied = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                    }

                    foreach (var (version, sql) in PostgresMigrations.Steps.Where(s => s.Version > applied))
                    {
                        await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
                        await ExecuteAsync(connection, $"INSERT INTO schema_migrations (version) VALUES ({version})", cancellationToken).ConfigureAwait(false);
                        LogMigrated(version, Location);
                    }

                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            _schemaReady = true;
        }
        finally
        {
            _schemaGate.Release();
        }
    }

    /// <summary>One round trip; throws when the database does not answer.</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why the database does not answer, naming it, for readiness and 503s.</summary>
    public string DescribeFailure(Exception ex) =>
        $"the database (PostgreSQL at {Location}) is unreachable: {(ex is PostgresException pg ? pg.MessageText : ex.Message).ReplaceLineEndings(" ")}";

    public ServiceUnavailableException Unavailable(Exception ex) =>
        new($"The service cannot reach its state store: {DescribeFailure(ex)}", RetryAfter, ex);

    /// <summary>The database is away or refuses us (connection lost, shut down, out of connections), as opposed to a bug in a statement.</summary>
    public static bool IsUnreachable(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("28", StringComparison.Ordinal)
            || pg.SqlState == "3D000",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _schemaGate.Dispose();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema step {Version} to the database at {Location}")]
    private partial void LogMigrated(int version, string location);
}
