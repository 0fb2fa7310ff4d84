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
    private TwoServicesOnOneSchema _services = null!;

    [OneTimeSetUp]
    public async Task StartTwoServicesAsync()
    {
        await RealEngine.RequireAsync();
        _services = await TwoServicesOnOneSchema.CreateAsync(new Dictionary<string, string?>
        {
            ["API_KEYS"] = QuotaCalls.AllKeys,
            ["FILE_STORE_MAX_MB"] = "2",
            ["FILE_STORE_MAX_MB_PER_KEY"] = "1",
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Test]
    public async Task Uploads_spread_over_two_services_are_refused_507_for_the_store_and_413_for_a_keys_share()
    {
        using var aOnFirst = await QuotaCalls.ReadyClientWithAsync(_services.First, QuotaCalls.KeyA);
        using var aOnSecond = await QuotaCalls.ReadyClientWithAsync(_services.Second, QuotaCalls.KeyA);
        using var bOnSecond = await QuotaCalls.ReadyClientWithAsync(_services.Second, QuotaCalls.KeyB);
        using var cOnFirst = await QuotaCalls.ReadyClientWithAsync(_services.First, QuotaCalls.KeyC);

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
        (await _services.Schema.ScalarAsync("SELECT sum(size_bytes) FROM files")).Should().Be(1_800_000L, "nothing of a refused upload is kept");
    }
}
