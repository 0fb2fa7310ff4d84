using System.Globalization;
using Npgsql;

namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>
/// Reads DATABASE_URL, in either form operators have at hand: a <c>postgres://</c> (or
/// <c>postgresql://</c>) URL, its query naming further Npgsql settings (<c>?sslmode=require</c>), or an
/// Npgsql connection string (<c>Host=...;Username=...</c>). Errors name the variable, never its value:
/// it holds a password.
/// </summary>
public static class DatabaseConnection
{
    private const string Expected = "DATABASE_URL must be a postgres://user:password@host:port/database URL or an Npgsql connection string";

    /// <exception cref="FormatException">Not a usable connection (the message never repeats the value).</exception>
    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        var builder = text.Contains("://", StringComparison.Ordinal) ? FromUrl(text) : FromConnectionString(text);
        if (!Names(builder, GssEncryptionModeKeyword))
        {
            // Npgsql 10 tries GSSAPI (Kerberos) encryption first on every new connection unless told
            // otherwise; without libgssapi_krb5 (not in our images) the runtime writes an "Error:" line to
            // stderr for it, which reads as a failure in every replica's log. Kerberos sites set it:
            // ?GSS%20Encryption%20Mode=Prefer in the URL, or GSS Encryption Mode=Prefer.
            builder.GssEncryptionMode = GssEncryptionMode.Disable;
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException($"{Expected}: it names no host.");
        }

        if (string.IsNullOrEmpty(builder.Database))
        {
            throw new FormatException($"{Expected}: it names no database.");
        }

        return builder;
    }

    /// <summary>Where the database is, for logs and problem details: <c>host:port/database</c>, no user or password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database}");
    }

    private const string GssEncryptionModeKeyword = "GSS Encryption Mode";

    /// <summary>Whether the operator's value set <paramref name="keyword"/> (under any of its names): the builder keeps only what was set.</summary>
    private static bool Names(NpgsqlConnectionStringBuilder builder, string keyword) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString }.ContainsKey(keyword);

    private static NpgsqlConnectionStringBuilder FromUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
        {
            throw new FormatException($"{Expected}: a URL's scheme must be postgres:// or postgresql://.");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.IdnHost,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var setting = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[key] = setting;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                throw new FormatException($"{Expected}: its query setting '{Printable(key)}' is unknown or has an invalid value.", ex);
            }
        }

        return builder;
    }

    private static NpgsqlConnectionStringBuilder FromConnectionString(string text)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
        {
            // The builder's message may quote the string, password included: only say what is wrong in general.
            throw new FormatException($"{Expected}: it is neither a URL nor a connection string Npgsql accepts (unknown keyword or invalid value).", ex);
        }
    }

    private static string Printable(string text) => new([.. text.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
}
