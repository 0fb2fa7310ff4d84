using Npgsql;
using NpgsqlTypes;

namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>Positional parameters (<c>$1</c>, ...) of the types the stores use, nulls included.</summary>
internal static class SqlParameter
{
    public static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Json(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)value ?? DBNull.Value };

    /// <summary>A point in time (timestamptz takes UTC only).</summary>
    public static NpgsqlParameter<DateTimeOffset> Time(DateTimeOffset value) => new() { TypedValue = value.ToUniversalTime() };
}
