using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Infrastructure.Tests.Files;

/// <summary>FILE_STORE_MAX_MB and FILE_STORE_MAX_MB_PER_KEY, the same in every store.</summary>
public abstract partial class FileStoreContractTests
{
    private const int Mb = 1024 * 1024;

    [Test]
    public async Task A_file_that_does_not_fit_in_the_store_is_refused_as_store_full_and_nothing_of_it_stays()
    {
        StoreLimitMb = 1;
        var store = CreateStore();
        var kept = await store.SaveAsync("kept.bin", new MemoryStream(new byte[700_000]), Unlimited, CancellationToken.None);

        var refused = async () => await store.SaveAsync("more.bin", new MemoryStream(new byte[400_000]), Unlimited, CancellationToken.None);

        var full = (await refused.Should().ThrowAsync<StorageQuotaExceededException>()).Which;
        full.CallersShare.Should().BeFalse();
        full.Message.Should().Contain("FILE_STORE_MAX_MB = 1 MB").And.Contain("0.67 MB are stored");
        (await store.ListAsync(CancellationToken.None)).Should().Equal(kept);
    }

    [Test]
    public async Task A_file_over_the_keys_share_is_refused_as_the_callers_share_while_another_key_still_stores()
    {
        KeyLimitMb = 1;
        var store = CreateStore();
        CallerContext.Owner = "alice";
        await store.SaveAsync("a.bin", new MemoryStream(new byte[700_000]), Unlimited, CancellationToken.None);
        var refused = async () => await store.SaveAsync("b.bin", new MemoryStream(new byte[400_000]), Unlimited, CancellationToken.None);
        var share = (await refused.Should().ThrowAsync<StorageQuotaExceededException>()).Which;

        CallerContext.Owner = "bob";
        var bobs = await store.SaveAsync("c.bin", new MemoryStream(new byte[700_000]), Unlimited, CancellationToken.None);
        CallerContext.Owner = null;

        share.CallersShare.Should().BeTrue();
        share.Message.Should().Contain("FILE_STORE_MAX_MB_PER_KEY = 1 MB");
        bobs.SizeBytes.Should().Be(700_000, "one key's share does not limit another key");
    }

    [Test]
    public async Task Expired_files_stop_counting_before_the_sweep_removes_them()
    {
        StoreLimitMb = 1;
        var store = CreateStore();
        await store.SaveAsync("old.bin", new MemoryStream(new byte[700_000]), Unlimited, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(3601));

        var fresh = await store.SaveAsync("new.bin", new MemoryStream(new byte[700_000]), Unlimited, CancellationToken.None);

        fresh.SizeBytes.Should().Be(700_000);
    }

    [Test]
    public async Task Concurrent_uploads_never_exceed_the_store_limit_together()
    {
        StoreLimitMb = 1;
        var store = CreateStore();

        (await SaveConcurrentlyAsync(Enumerable.Repeat(store, 4).ToList())).Should().Be(3, "three of 300 000 bytes fit in 1 MB, four do not");
        (await store.ListAsync(CancellationToken.None)).Sum(f => f.SizeBytes).Should().BeLessThanOrEqualTo(Mb);
    }

    /// <summary>Saves 300 000 bytes through each store at once; how many were kept.</summary>
    private protected static async Task<int> SaveConcurrentlyAsync(IReadOnlyList<IFileStore> stores)
    {
        var saves = await Task.WhenAll(stores.Select(store => Task.Run(async () =>
        {
            try
            {
                return await store.SaveAsync("part.bin", new MemoryStream(new byte[300_000]), Unlimited, CancellationToken.None);
            }
            catch (StorageQuotaExceededException)
            {
                return null;
            }
        })));

        return saves.Count(s => s is not null);
    }

    [Test]
    public async Task A_stream_over_the_room_left_is_refused_before_it_ends()
    {
        StoreLimitMb = 1;
        var store = CreateStore();

        var refused = async () => await store.SaveAsync("endless.bin", new EndlessStream(), Unlimited, CancellationToken.None);

        (await refused.Should().ThrowAsync<StorageQuotaExceededException>()).Which.CallersShare.Should().BeFalse();
        await AssertNothingStoredAsync();
    }
}
