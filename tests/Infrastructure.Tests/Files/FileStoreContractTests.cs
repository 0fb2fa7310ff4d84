using System.Security.Cryptography;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Infrastructure.Tests.Files;

/// <summary>
/// What every <see cref="IFileStore"/> does, whichever store it is: the embedded one on local disk and
/// the PostgreSQL one run these same tests (<see cref="LocalFileStoreTests"/>, <see cref="PostgresFileStoreTests"/>).
/// </summary>
public abstract partial class FileStoreContractTests
{
    protected const long Unlimited = long.MaxValue;

    private protected ManualClock Clock { get; } = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>FILE_STORE_MAX_MB of the stores a test creates (0 = none, the default of these tests).</summary>
    private protected int StoreLimitMb { get; set; }

    /// <summary>FILE_STORE_MAX_MB_PER_KEY of the stores a test creates.</summary>
    private protected int KeyLimitMb { get; set; }

    /// <summary>The options of a store over <paramref name="directory"/> with this test's limits (TTL: an hour).</summary>
    private protected FileStorageOptions StoreOptions(string directory) => new()
    {
        StorageDir = directory,
        MaxStoreMb = StoreLimitMb,
        MaxStoreMbPerKey = KeyLimitMb,
        TtlSec = 3600,
    };

    /// <summary>A store over this test's storage; a second call is the same storage seen by a new process.</summary>
    private protected abstract IFileStore CreateStore();

    /// <summary>Asserts the storage holds no file, not even part of one.</summary>
    protected abstract Task AssertNothingStoredAsync();

    protected static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Test]
    public async Task Saved_random_bytes_come_back_unchanged_with_their_metadata()
    {
        var store = CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(100_003);

        var saved = await store.SaveAsync("data.bin", new MemoryStream(bytes), Unlimited, CancellationToken.None);
        var metadata = await store.GetAsync(saved.FileId, CancellationToken.None);
        var content = await ReadAllAsync((await store.OpenReadAsync(saved.FileId, CancellationToken.None))!);

        saved.FileId.Should().MatchRegex("^[0-9a-f]{32}$");
        saved.FileName.Should().Be("data.bin");
        saved.SizeBytes.Should().Be(bytes.Length);
        saved.UploadTime.Should().Be(Clock.GetUtcNow());
        metadata.Should().Be(saved);
        content.Should().Equal(bytes);
    }

    [Test]
    public async Task A_5_MB_file_round_trips_byte_for_byte()
    {
        var store = CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);

        var saved = await store.SaveAsync("big.bin", new MemoryStream(bytes), 5 * 1024 * 1024, CancellationToken.None);
        var content = await ReadAllAsync((await store.OpenReadAsync(saved.FileId, CancellationToken.None))!);

        saved.SizeBytes.Should().Be(bytes.Length);
        content.Should().Equal(bytes);
    }

    [Test]
    public async Task An_empty_file_is_stored_and_reads_back_empty()
    {
        var store = CreateStore();

        var saved = await store.SaveAsync("empty.txt", new MemoryStream(), Unlimited, CancellationToken.None);
        var content = await ReadAllAsync((await store.OpenReadAsync(saved.FileId, CancellationToken.None))!);

        saved.SizeBytes.Should().Be(0);
        content.Should().BeEmpty();
    }

    [Test]
    public async Task Every_save_gets_a_new_id()
    {
        var store = CreateStore();

        var first = await store.SaveAsync("a.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        var second = await store.SaveAsync("a.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);

        first.FileId.Should().NotBe(second.FileId);
    }

    [Test]
    public async Task Content_over_the_limit_throws_and_leaves_nothing_behind()
    {
        var store = CreateStore();

        var save = () => store.SaveAsync("big.bin", new MemoryStream(new byte[1001]), 1000, CancellationToken.None);

        await save.Should().ThrowAsync<PayloadTooLargeException>();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
        await AssertNothingStoredAsync();
    }

    [Test]
    public async Task An_upload_that_fails_midway_leaves_nothing_behind()
    {
        var store = CreateStore();

        var save = () => store.SaveAsync("cut.bin", new EndlessStream(failAfter: 3 * 1024 * 1024), Unlimited, CancellationToken.None);

        await save.Should().ThrowAsync<IOException>();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
        await AssertNothingStoredAsync();
    }

    [Test]
    public async Task Content_of_exactly_the_limit_is_accepted()
    {
        var store = CreateStore();

        var saved = await store.SaveAsync("exact.bin", new MemoryStream(new byte[1000]), 1000, CancellationToken.None);

        saved.SizeBytes.Should().Be(1000);
    }

    [Test]
    public async Task The_limit_is_enforced_while_streaming_not_after_reading_everything()
    {
        var store = CreateStore();
        var endless = new EndlessStream();

        var save = () => store.SaveAsync("endless.bin", endless, 1024 * 1024, CancellationToken.None);

        await save.Should().ThrowAsync<PayloadTooLargeException>().WithMessage("File size exceeds maximum of 1 MB");
        endless.BytesRead.Should().BeLessThan(2 * 1024 * 1024);
    }

    [Test]
    public async Task Names_are_kept_as_metadata_only_and_sanitised()
    {
        var store = CreateStore();

        var saved = await store.SaveAsync("../../etc/pass\nwd", new MemoryStream([1]), Unlimited, CancellationToken.None);

        saved.FileName.Should().Be("passwd");
        (await store.GetAsync(saved.FileId, CancellationToken.None))!.FileName.Should().Be("passwd");
    }

    [Test]
    public async Task A_new_store_over_the_same_storage_still_lists_and_serves_the_file()
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);
        var saved = await CreateStore().SaveAsync("kept.bin", new MemoryStream(bytes), Unlimited, CancellationToken.None);

        var restarted = CreateStore();
        var listed = await restarted.ListAsync(CancellationToken.None);
        var content = await ReadAllAsync((await restarted.OpenReadAsync(saved.FileId, CancellationToken.None))!);

        listed.Should().ContainSingle().Which.Should().Be(saved);
        content.Should().Equal(bytes);
    }

    [Test]
    public async Task Delete_removes_the_file_and_a_second_delete_finds_nothing()
    {
        var store = CreateStore();
        var saved = await store.SaveAsync("gone.txt", new MemoryStream([1, 2, 3]), Unlimited, CancellationToken.None);

        var first = await store.DeleteAsync(saved.FileId, CancellationToken.None);
        var second = await store.DeleteAsync(saved.FileId, CancellationToken.None);

        first.Should().BeTrue();
        second.Should().BeFalse();
        (await store.GetAsync(saved.FileId, CancellationToken.None)).Should().BeNull();
        (await store.OpenReadAsync(saved.FileId, CancellationToken.None)).Should().BeNull();
        await AssertNothingStoredAsync();
    }

    [Test]
    public async Task A_download_in_progress_finishes_even_when_the_file_is_deleted_meanwhile()
    {
        var store = CreateStore();
        var bytes = RandomNumberGenerator.GetBytes(1024 * 1024);
        var saved = await store.SaveAsync("busy.bin", new MemoryStream(bytes), Unlimited, CancellationToken.None);

        var download = (await store.OpenReadAsync(saved.FileId, CancellationToken.None))!;
        (await store.DeleteAsync(saved.FileId, CancellationToken.None)).Should().BeTrue();
        var content = await ReadAllAsync(download);

        content.Should().Equal(bytes);
    }

    [Test]
    public async Task List_returns_every_file_oldest_first()
    {
        var store = CreateStore();
        var older = await store.SaveAsync("older.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await store.SaveAsync("newer.txt", new MemoryStream([2]), Unlimited, CancellationToken.None);

        var listed = await store.ListAsync(CancellationToken.None);

        listed.Should().Equal(older, newer);
    }

    [Test]
    public async Task DeleteExpired_removes_only_files_stored_before_the_cut_off()
    {
        var store = CreateStore();
        var old = await store.SaveAsync("old.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        Clock.Advance(TimeSpan.FromMinutes(10));
        var cutOff = Clock.GetUtcNow();
        var fresh = await store.SaveAsync("fresh.txt", new MemoryStream([2]), Unlimited, CancellationToken.None);

        var removed = await store.DeleteExpiredAsync(cutOff, CancellationToken.None);

        removed.Should().Be(1);
        (await store.ListAsync(CancellationToken.None)).Should().Equal(fresh);
        (await store.GetAsync(old.FileId, CancellationToken.None)).Should().BeNull();
    }

    [Test]
    public async Task Two_sweepers_at_once_delete_each_expired_file_once_between_them()
    {
        var store = CreateStore();
        for (var i = 0; i < 20; i++)
        {
            await store.SaveAsync($"old-{i}.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        }

        Clock.Advance(TimeSpan.FromMinutes(10));
        var other = CreateStore();

        var counts = await Task.WhenAll(
            Task.Run(() => store.DeleteExpiredAsync(Clock.GetUtcNow(), CancellationToken.None)),
            Task.Run(() => other.DeleteExpiredAsync(Clock.GetUtcNow(), CancellationToken.None)));

        counts.Sum().Should().Be(20);
        await AssertNothingStoredAsync();
    }

    [Test]
    public async Task Another_owners_file_is_unknown_and_not_listed()
    {
        var store = CreateStore();
        CallerContext.Owner = "alice";
        var alices = await store.SaveAsync("secret.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);

        CallerContext.Owner = "bob";
        var seen = await store.GetAsync(alices.FileId, CancellationToken.None);
        var read = await store.OpenReadAsync(alices.FileId, CancellationToken.None);
        var deleted = await store.DeleteAsync(alices.FileId, CancellationToken.None);
        var listed = await store.ListAsync(CancellationToken.None);
        CallerContext.Owner = "alice";
        var stillThere = await store.GetAsync(alices.FileId, CancellationToken.None);
        CallerContext.Owner = null;

        seen.Should().BeNull();
        read.Should().BeNull();
        deleted.Should().BeFalse();
        listed.Should().BeEmpty();
        stillThere.Should().Be(alices);
    }

    [TestCase("../etc")]
    [TestCase("..")]
    [TestCase("")]
    [TestCase("ABC")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcde/")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    [TestCase("0123456789abcdef0123456789abcde'")]
    public async Task Malformed_ids_are_unknown(string fileId)
    {
        var store = CreateStore();

        var metadata = await store.GetAsync(fileId, CancellationToken.None);
        var content = await store.OpenReadAsync(fileId, CancellationToken.None);
        var deleted = await store.DeleteAsync(fileId, CancellationToken.None);

        metadata.Should().BeNull();
        content.Should().BeNull();
        deleted.Should().BeFalse();
    }
}
