namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// Two services (two hosts in this process, each its own worker, pool and sandboxes) with DATABASE_URL on one
/// fresh schema, as two replicas of one deployment; disposing stops both and drops the schema.
/// </summary>
internal sealed class TwoServicesOnOneSchema : IAsyncDisposable
{
    private TwoServicesOnOneSchema(TestSchema schema, ApiFactory first, ApiFactory second)
    {
        Schema = schema;
        First = first;
        Second = second;
    }

    public TestSchema Schema { get; }

    public ApiFactory First { get; }

    public ApiFactory Second { get; }

    /// <summary>Both services with <paramref name="settings"/> beside the schema's DATABASE_URL (not started until first used).</summary>
    public static async Task<TwoServicesOnOneSchema> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var schema = await TestSchema.CreateAsync();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["DATABASE_URL"] = schema.ConnectionString,
        };
        return new TwoServicesOnOneSchema(schema, new ApiFactory(all), new ApiFactory(all));
    }

    public async ValueTask DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
        await Schema.DisposeAsync();
    }
}
