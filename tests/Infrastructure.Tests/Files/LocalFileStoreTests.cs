using System.Security.Cryptography;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Files;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Files;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class LocalFileStoreTests
{
    private const long Unlimited = long.MaxValue;

    // The store's directory sits inside a per-test base, so ids that try to climb out stay in the test's area.
    private readonly string _base = Path.Combine(Path.GetTempPath(), $"file-store-tests-{Guid.NewGuid():N}");
    private readonly string _root;
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public LocalFileStoreTests() => _root = Path.Combine(_base, "store");

    [TearDown]
    public void RemoveBase()
    {
        if (Directory.Exists(_base))
        {
            Directory.Delete(_base, recursive: true);
        }
    }

    private LocalFileStore CreateStore() => new(
        MsOptions.Create(new FileStorageOptions { StorageDir = _root }), _clock, NullLogger<LocalFileStore>.Instance);

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Test]
    public void Creates_the_storage_directory_at_construction()
    {
        _ = CreateStore();

        Directory.Exists(_root).Should().BeTrue();
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
        saved.UploadTime.Should().Be(_clock.GetUtcNow());
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
        Directory.EnumerateFileSystemEntries(_root).Should().BeEmpty("neither the file nor its staging copy may remain");
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
        Directory.EnumerateDirectories(_root).Select(Path.GetFileName).Should().Equal(saved.FileId);
    }

    [Test]
    public async Task A_new_store_over_the_same_directory_still_lists_and_serves_the_file()
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
        Directory.EnumerateFileSystemEntries(_root).Should().BeEmpty();
    }

    [Test]
    public async Task List_returns_every_file_oldest_first()
    {
        var store = CreateStore();
        var older = await store.SaveAsync("older.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var newer = await store.SaveAsync("newer.txt", new MemoryStream([2]), Unlimited, CancellationToken.None);

        var listed = await store.ListAsync(CancellationToken.None);

        listed.Should().Equal(older, newer);
    }

    [Test]
    public async Task DeleteExpired_removes_only_files_stored_before_the_cut_off()
    {
        var store = CreateStore();
        var old = await store.SaveAsync("old.txt", new MemoryStream([1]), Unlimited, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(10));
        var cutOff = _clock.GetUtcNow();
        var fresh = await store.SaveAsync("fresh.txt", new MemoryStream([2]), Unlimited, CancellationToken.None);

        var removed = await store.DeleteExpiredAsync(cutOff, CancellationToken.None);

        removed.Should().Be(1);
        (await store.ListAsync(CancellationToken.None)).Should().Equal(fresh);
        (await store.GetAsync(old.FileId, CancellationToken.None)).Should().BeNull();
    }

    [TestCase("../etc")]
    [TestCase("..")]
    [TestCase("")]
    [TestCase("ABC")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcde/")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    public async Task Malformed_ids_are_unknown_without_touching_the_disk(string fileId)
    {
        var store = CreateStore();
        // What the malformed id would reach if it were used as a path (always inside the test's base).
        var decoy = Path.GetFullPath(Path.Combine(_root, fileId));
        decoy.Should().StartWith(_base);
        Directory.CreateDirectory(decoy);
        await File.WriteAllBytesAsync(Path.Combine(decoy, "content"), [1]);
        await File.WriteAllTextAsync(Path.Combine(decoy, "meta.json"), "{}");
        var before = Directory.EnumerateFileSystemEntries(_base, "*", SearchOption.AllDirectories).ToList();

        var metadata = await store.GetAsync(fileId, CancellationToken.None);
        var content = await store.OpenReadAsync(fileId, CancellationToken.None);
        var deleted = await store.DeleteAsync(fileId, CancellationToken.None);

        metadata.Should().BeNull();
        content.Should().BeNull();
        deleted.Should().BeFalse();
        Directory.EnumerateFileSystemEntries(_base, "*", SearchOption.AllDirectories).Should().BeEquivalentTo(before);
    }

    [Test]
    public async Task Leftovers_of_an_interrupted_upload_are_removed_at_start_when_abandoned()
    {
        var abandoned = Directory.CreateDirectory(Path.Combine(_root, ".staging-abandoned"));
        File.WriteAllBytes(Path.Combine(abandoned.FullName, "content"), [1, 2, 3]);
        File.SetLastWriteTimeUtc(Path.Combine(abandoned.FullName, "content"), DateTime.UtcNow.AddHours(-2));
        abandoned.LastWriteTimeUtc = DateTime.UtcNow.AddHours(-2);
        _clock.Set(DateTimeOffset.UtcNow);

        var store = CreateStore();

        Directory.Exists(abandoned.FullName).Should().BeFalse();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Test]
    public async Task An_upload_in_progress_elsewhere_is_not_mistaken_for_a_leftover()
    {
        var inProgress = Directory.CreateDirectory(Path.Combine(_root, ".staging-in-progress"));
        _clock.Set(DateTimeOffset.UtcNow);

        var store = CreateStore();

        Directory.Exists(inProgress.FullName).Should().BeTrue();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;

        public void Set(DateTimeOffset now) => _now = now;
    }

    /// <summary>Zeros forever, counting what was read.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
