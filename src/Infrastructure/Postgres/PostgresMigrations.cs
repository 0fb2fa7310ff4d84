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
        (2, """
            CREATE TABLE executions (
                execution_id     text PRIMARY KEY,
                owner            text NULL,
                created_at       timestamptz NOT NULL,
                timeout_ms       integer NOT NULL,
                status           text NOT NULL,
                command          jsonb NOT NULL,
                started_at       timestamptz NULL,
                finished_at      timestamptz NULL,
                result           jsonb NULL,
                error            text NULL,
                claimed_by       text NULL,
                lease_expires_at timestamptz NULL,
                cancel_requested boolean NOT NULL DEFAULT false
            );
            CREATE INDEX executions_waiting ON executions (created_at) WHERE status = 'queued' AND claimed_by IS NULL;
            CREATE INDEX executions_claimed ON executions (lease_expires_at) WHERE claimed_by IS NOT NULL;
            CREATE INDEX executions_finished ON executions (finished_at) WHERE finished_at IS NOT NULL;
            """),
        (3, """
            CREATE TABLE replicas (
                replica_id   text PRIMARY KEY,
                internal_url text NULL,
                started_at   timestamptz NOT NULL DEFAULT now(),
                last_seen    timestamptz NOT NULL
            );
            CREATE TABLE sessions (
                session_id   text PRIMARY KEY,
                owner        text NULL,
                replica_id   text NOT NULL,
                replica_url  text NULL,
                container_id text NOT NULL,
                expires_at   timestamptz NOT NULL,
                lost_at      timestamptz NULL
            );
            CREATE INDEX sessions_replica ON sessions (replica_id) WHERE lost_at IS NULL;
            """),
        (4, """
            CREATE TABLE execution_calls (
                call_id          text PRIMARY KEY,
                owner            text NOT NULL,
                replica_id       text NOT NULL,
                lease_expires_at timestamptz NOT NULL
            );
            CREATE INDEX execution_calls_owner ON execution_calls (owner);
            CREATE INDEX executions_owner_unfinished ON executions (owner) WHERE status IN ('queued', 'running');
            CREATE INDEX files_owner ON files (owner);
            """),
    ];
}
