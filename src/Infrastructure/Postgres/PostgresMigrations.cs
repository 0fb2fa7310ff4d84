namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>
/// The schema, as numbered steps applied in order, each once (<c>schema_migrations</c> records them).
/// A step is never edited once released: a change is a new step. Unqualified names, so the schema is
/// the connection's search path.
/// </summary>
internal static class PostgresMigrations
{
    public static readonly IReadOnlyList<(int Version, string Sql)> Steps =
    [
        (1, """
            CREATE TABLE files (
                file_id     text PRIMARY KEY,
                owner       text NULL,
                file_name   text NOT NULL,
                size_bytes  bigint NOT NULL,
                upload_time timestamptz NOT NULL
            );
            CREATE INDEX files_upload_time ON files (upload_time);
            CREATE TABLE file_chunks (
                file_id text NOT NULL REFERENCES files (file_id) ON DELETE CASCADE,
                seq     integer NOT NULL,
                data    bytea NOT NULL,
                PRIMARY KEY (file_id, seq)
            );
            """),
    ];
}
