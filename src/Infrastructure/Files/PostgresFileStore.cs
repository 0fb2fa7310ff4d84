using System.Buffers;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Files;

/// <summary>
/// The shared file store: metadata in <c>files</c>, content in <c>file_chunks</c> rows of
/// <see cref="ChunkBytes"/> bytes. An upload streams its chunks inside one transaction that also
/// inserts the metadata, so a file becomes visible whole at commit and an interrupted upload (client
/// gone, limit exceeded, replica killed) leaves nothing. A download streams the chunks from one query.
/// Every replica sees every file; owners are checked as in the embedded store. With FILE_STORE_MAX_MB or
/// FILE_STORE_MAX_MB_PER_KEY set, the room left is read before the content streams in (to refuse early),
/// and checked again just before commit under a transaction-scoped advisory lock that every replica's
/// uploads take: the check and the commit of one upload are never interleaved with another's, so the
/// committed files never exceed the limits, whichever replicas store them.
/// </summary>
internal sealed class PostgresFileStore(PostgresDatabase database, TimeProvider time, IOptions<FileStorageOptions> options) : IFileStore
{
    internal const int ChunkBytes = 256 * 1024;

    // Any fixed number shared by every replica; "ci-quota" in ASCII.
    private const long QuotaLockKey = 0x63692D71756F7461;

    private readonly FileQuota _quota = FileQuota.Of(options.Value);

    private const string Columns = "file_id, owner, file_name, size_bytes, upload_time";

    public async Task<StoredFile> SaveAsync(string fileName, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var id = StoredFileId.New();
                var owner = CallerContext.Owner;
                var usage = _quota.IsLimited ? await UsageAsync(connection, transaction, owner, id, cancellationToken).ConfigureAwait(false) : default;
                var limit = Math.Min(maxBytes, _quota.Room(usage, owner));
                // The metadata row first (chunks reference it), its size and time set once the content is in.
                await using (var insert = new NpgsqlCommand(
                    "INSERT INTO files (file_id, owner, file_name, size_bytes, upload_time) VALUES ($1, $2, $3, 0, now())", connection, transaction))
                {
                    insert.Parameters.Add(SqlParameter.Text(id));
                    insert.Parameters.Add(SqlParameter.Text(owner));
                    insert.Parameters.Add(SqlParameter.Text(StoredFileName.Sanitize(fileName)));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var size = await WriteChunksAsync(
                    connection, transaction, id, content, limit, received => _quota.Overrun(received, maxBytes, usage, owner),
                    cancellationToken).ConfigureAwait(false);
                if (_quota.IsLimited)
                {
                    // Held until commit or rollback: another upload's check waits until this one is visible or gone.
                    await using (var serialise = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({QuotaLockKey})", connection, transaction))
                    {
                        await serialise.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    // A statement of its own after the lock, so its snapshot includes every upload committed before.
                    _quota.Check(await UsageAsync(connection, transaction, owner, id, cancellationToken).ConfigureAwait(false), owner, size);
                }

                var file = new StoredFile(id, StoredFileName.Sanitize(fileName), size, Microseconds(time.GetUtcNow()))
                {
                    Owner = owner,
                };
                await using (var finish = new NpgsqlCommand("UPDATE files SET size_bytes = $2, upload_time = $3 WHERE file_id = $1", connection, transaction))
                {
                    finish.Parameters.Add(SqlParameter.Text(id));
                    finish.Parameters.Add(new NpgsqlParameter<long> { TypedValue = size });
                    finish.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = file.UploadTime });
                    await finish.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // The one step that makes the file visible, content and metadata together.
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return file;
            }
        }
    }

    public Task<StoredFile?> GetAsync(string fileId, CancellationToken cancellationToken) =>
        !StoredFileId.IsWellFormed(fileId)
            ? Task.FromResult<StoredFile?>(null)
            : database.RunAsync(connection => FindAsync(connection, fileId, cancellationToken), cancellationToken);

    public async Task<Stream?> OpenReadAsync(string fileId, CancellationToken cancellationToken)
    {
        if (!StoredFileId.IsWellFormed(fileId))
        {
            return null;
        }

        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One snapshot for metadata and every chunk: a delete meanwhile does not cut the download short.
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            if (await FindAsync(connection, fileId, cancellationToken).ConfigureAwait(false) is null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            var command = new NpgsqlCommand("SELECT data FROM file_chunks WHERE file_id = $1 ORDER BY seq", connection, transaction);
            command.Parameters.Add(SqlParameter.Text(fileId));
            var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            return new ChunkedContentStream(connection, command, reader);
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (PostgresDatabase.IsUnreachable(ex))
            {
                throw database.Unavailable(ex);
            }

            throw;
        }
    }

    public Task<bool> DeleteAsync(string fileId, CancellationToken cancellationToken) =>
        !StoredFileId.IsWellFormed(fileId)
            ? Task.FromResult(false)
            : database.RunAsync(
                async connection =>
                {
                    await using var command = new NpgsqlCommand("DELETE FROM files WHERE file_id = $1 AND owner IS NOT DISTINCT FROM $2", connection);
                    command.Parameters.Add(SqlParameter.Text(fileId));
                    command.Parameters.Add(SqlParameter.Text(CallerContext.Owner));
                    return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
                },
                cancellationToken);

    public Task<IReadOnlyList<StoredFile>> ListAsync(CancellationToken cancellationToken) =>
        database.RunAsync<IReadOnlyList<StoredFile>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    $"SELECT {Columns} FROM files WHERE owner IS NOT DISTINCT FROM $1 ORDER BY upload_time, file_id", connection);
                command.Parameters.Add(SqlParameter.Text(CallerContext.Owner));
                var files = new List<StoredFile>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    files.Add(Read(reader));
                }

                return files;
            },
            cancellationToken);

    /// <summary>One statement: several replicas sweeping at once each delete a file at most once between them.</summary>
    public Task<int> DeleteExpiredAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) =>
        database.RunAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand("DELETE FROM files WHERE upload_time < $1", connection);
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = olderThan.ToUniversalTime() });
                return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken);

    /// <summary>What the unexpired files but <paramref name="excluded"/> take, all and <paramref name="owner"/>'s.</summary>
    private async Task<FileUsage> UsageAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string? owner, string excluded, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(size_bytes), 0)::bigint, coalesce(sum(size_bytes) FILTER (WHERE owner = $1), 0)::bigint "
            + "FROM files WHERE upload_time >= $2 AND file_id <> $3", connection, transaction);
        command.Parameters.Add(SqlParameter.Text(owner));
        command.Parameters.Add(SqlParameter.Time(options.Value.ExpiredBefore(time.GetUtcNow()) is var cutoff && cutoff == DateTimeOffset.MinValue
            ? DateTimeOffset.UnixEpoch
            : cutoff));
        command.Parameters.Add(SqlParameter.Text(excluded));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new FileUsage(reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Inserts the content's chunks; more than <paramref name="maxBytes"/> bytes throws what <paramref name="overrun"/> makes of the count.</summary>
    private static async Task<long> WriteChunksAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string id, Stream content, long maxBytes,
        Func<long, Exception> overrun, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await using var insert = new NpgsqlCommand("INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, $2, $3)", connection, transaction);
            var seqParameter = new NpgsqlParameter<int>();
            var dataParameter = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea };
            insert.Parameters.Add(SqlParameter.Text(id));
            insert.Parameters.Add(seqParameter);
            insert.Parameters.Add(dataParameter);
            long total = 0;
            var seq = 0;
            while (true)
            {
                var filled = await FillAsync(content, buffer, cancellationToken).ConfigureAwait(false);
                total += filled;
                if (total > maxBytes)
                {
                    throw overrun(total);
                }

                if (filled == 0)
                {
                    return total;
                }

                seqParameter.TypedValue = seq++;
                dataParameter.Value = new ReadOnlyMemory<byte>(buffer, 0, filled);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (filled < ChunkBytes)
                {
                    return total;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until the chunk is full or the content ends; the count read.</summary>
    private static async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < ChunkBytes
            && (read = await content.ReadAsync(buffer.AsMemory(filled, ChunkBytes - filled), cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        return filled;
    }

    private static async Task<StoredFile?> FindAsync(NpgsqlConnection connection, string fileId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM files WHERE file_id = $1", connection);
        command.Parameters.Add(SqlParameter.Text(fileId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        // Another key's file is not found, exactly like a file that does not exist.
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && Read(reader) is var file && file.IsVisibleTo(CallerContext.Owner)
            ? file
            : null;
    }

    private static StoredFile Read(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4))
        {
            Owner = reader.IsDBNull(1) ? null : reader.GetString(1),
        };

    // PostgreSQL keeps microseconds: the time handed back is the time read back later.
    private static DateTimeOffset Microseconds(DateTimeOffset at) => at.ToUniversalTime().AddTicks(-(at.UtcTicks % 10));
}
