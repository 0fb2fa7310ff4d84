namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>Stops start-up when DATABASE_URL is set but unusable, naming it (never echoing it).</summary>
internal sealed class DatabaseOptionsValidation : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (options.ExecutionLeaseSec is < 3 or > 3600)
        {
            return ValidateOptionsResult.Fail("EXECUTION_LEASE_SEC must be between 3 and 3600.");
        }

        if (options.ReplicaTimeoutSec is < 6 or > 3600)
        {
            return ValidateOptionsResult.Fail("REPLICA_TIMEOUT_SEC must be between 6 and 3600.");
        }

        if (options.ReplicaUrl is { Length: > 0 } url
            && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            return ValidateOptionsResult.Fail("REPLICA_URL must be an absolute http:// or https:// URL.");
        }

        if (!options.UsesPostgres)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            DatabaseConnection.Parse(options.DatabaseUrl!);
            return ValidateOptionsResult.Success;
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
