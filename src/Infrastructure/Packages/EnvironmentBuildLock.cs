using System.Security.Cryptography;
using System.Text;
using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// Makes one build of a requirement set on one Docker engine at a time across every replica: with
/// PostgreSQL, a session advisory lock keyed by the engine and the set, held on its own connection for the
/// build (a replica that dies lets it go with its connection); the others wait, then find the environment
/// built. Without a database (null) there is one replica, whose own single flight is enough.
/// </summary>
internal sealed class EnvironmentBuildLock(Lazy<PostgresDatabase>? database, IOptions<PackageOptions> packages)
{
    /// <summary>Whether other replicas may build on the same engine (their environments can then be found there).</summary>
    public bool IsShared => database is not null;

    /// <summary>Holds the lock of <paramref name="key"/> until disposed.</summary>
    public async Task<IAsyncDisposable> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        if (database is null)
        {
            return NotHeld.Instance;
        }

        var id = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("code-interpreter.environment\n" + key)), 0);
        var postgres = database.Value;
        var connection = await postgres.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Waits for another replica's build: as long as a build may take, then some.
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection)
            {
                CommandTimeout = packages.Value.BuildTimeoutSec + 120,
            };
            command.Parameters.AddWithValue("key", id);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new Held(connection, id);
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw PostgresDatabase.IsUnreachable(ex) ? postgres.Unavailable(ex) : ex;
        }
    }

    private sealed class NotHeld : IAsyncDisposable
    {
        public static readonly NotHeld Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class Held(NpgsqlConnection connection, long id) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                command.Parameters.AddWithValue("key", id);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgresDatabase.IsUnreachable(ex))
            {
                // The connection is gone, and the lock with it.
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
