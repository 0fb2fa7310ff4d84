using CodeInterpreter.Api.Tests.State;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests;

/// <summary>
/// A fixture with one service on the real engine for all its tests: started once, ready before the
/// first test, stopped after the last. <see cref="Settings"/> adds configuration; <see cref="SharesStateInPostgres"/>
/// runs the same tests with the service's state in a fresh schema of the tests' PostgreSQL.
/// </summary>
public abstract class RealEngineApiTests
{
    private TestSchema? _schema;

    internal ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Configuration of this fixture's service, on top of ApiFactory's defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    /// <summary>The service keeps its state in PostgreSQL (DATABASE_URL) instead of the embedded store.</summary>
    protected virtual bool SharesStateInPostgres => false;

    [OneTimeSetUp]
    public async Task StartServiceAsync()
    {
        await RealEngine.RequireAsync();
        var settings = new Dictionary<string, string?>(Settings ?? new Dictionary<string, string?>());
        if (SharesStateInPostgres)
        {
            _schema = await TestSchema.CreateAsync();
            settings["DATABASE_URL"] = _schema.ConnectionString;
        }

        Factory = new ApiFactory(settings);
        Client = await Factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopServiceAsync()
    {
        Client?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
