using CodeInterpreter.Api.Tests.Quotas;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>
/// FILE_STORE_MAX_MB (2) and FILE_STORE_MAX_MB_PER_KEY (1) held across two services on one database: what
/// one stores counts for the other, so neither the store nor a key's share is exceeded by spreading uploads.
/// </summary>
[TestFixture]
public sealed class FileQuotaAcrossServicesTests
{
    private TestSchema _schema = null!;
    private ApiFactory _first = null!;
    private ApiFactory _second = null!;

    [OneTimeSetUp]
    public async Task StartTwoServicesAsync()
    {
        await RealEngine.RequireAsync();
        _schema = await TestSchema.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = _schema.ConnectionString,
            ["API_KEYS"] = QuotaCalls.AllKeys,
            ["FILE_STORE_MAX_MB"] = "2",
            ["FILE_STORE_MAX_MB_PER_KEY"] = "1",
        };
        _first = new ApiFactory(settings);
        _second = new ApiFactory(settings);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_first is not null)
        {
            await _first.DisposeAsync();
        }

        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }

    [Test]
    public async Task Uploads_spread_over_two_services_are_refused_507_for_the_store_and_413_for_a_keys_share()
    {
        using var aOnFirst = await QuotaCalls.ReadyClientWithAsync(_first, QuotaCalls.KeyA);
        using var aOnSecond = await QuotaCalls.ReadyClientWithAsync(_second, QuotaCalls.KeyA);
        using var bOnSecond = await QuotaCalls.ReadyClientWithAsync(_second, QuotaCalls.KeyB);
        using var cOnFirst = await QuotaCalls.ReadyClientWithAsync(_first, QuotaCalls.KeyC);

        var (a, _, aResponse) = await aOnFirst.UploadAsync(900_000);
        var (b, _, bResponse) = await bOnSecond.UploadAsync(900_000);
        var (c, storeFull, cResponse) = await cOnFirst.UploadAsync(400_000);
        var (aAgain, shareFull, aAgainResponse) = await aOnSecond.UploadAsync(200_000);
        foreach (var response in new[] { aResponse, bResponse, cResponse, aAgainResponse })
        {
            response.Dispose();
        }

        a.Should().Be(201);
        b.Should().Be(201);
        c.Should().Be(507, "1.72 MB stored through both services and 0.38 MB more do not fit in 2 MB");
        storeFull.GetProperty("detail").GetString().Should().Contain("FILE_STORE_MAX_MB = 2 MB");
        aAgain.Should().Be(413, "key A stored 0.86 MB through the other service");
        shareFull.GetProperty("detail").GetString().Should().Contain("FILE_STORE_MAX_MB_PER_KEY = 1 MB");
        (await _schema.ScalarAsync("SELECT sum(size_bytes) FROM files")).Should().Be(1_800_000L, "nothing of a refused upload is kept");
    }
}
