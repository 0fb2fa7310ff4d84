namespace CodeInterpreter.Infrastructure.Postgres;

/// <summary>Stops start-up when DATABASE_URL is set but unusable, naming it (never echoing it).</summary>
internal sealed class DatabaseOptionsValidation : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
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
