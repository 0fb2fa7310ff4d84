using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests;

/// <summary>
/// A fixture with one service on the real engine for all its tests: started once, ready before the
/// first test, stopped after the last. <see cref="Settings"/> adds configuration.
/// </summary>
public abstract class RealEngineApiTests
{
    internal ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Configuration of this fixture's service, on top of ApiFactory's defaults.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    [OneTimeSetUp]
    public async Task StartServiceAsync()
    {
        await RealEngine.RequireAsync();
        Factory = new ApiFactory(Settings);
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
    }
}
