using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Files;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Files;

/// <summary>The embedded store: the contract, plus what is particular to keeping files on local disk.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class LocalFileStoreTests : FileStoreContractTests
{
    // The store's directory sits inside a per-test base, so ids that try to climb out stay in the test's area.
    private readonly string _base = Path.Combine(Path.GetTempPath(), $"file-store-tests-{Guid.NewGuid():N}");
    private readonly string _root;

    public LocalFileStoreTests() => _root = Path.Combine(_base, "store");

    [TearDown]
    public void RemoveBase()
    {
        if (Directory.Exists(_base))
        {
            Directory.Delete(_base, recursive: true);
        }
    }

    private protected override IFileStore CreateStore() => CreateLocalStore();

    protected override Task AssertNothingStoredAsync()
    {
        Directory.EnumerateFileSystemEntries(_root).Should().BeEmpty("neither a file nor its staging copy may remain");
        return Task.CompletedTask;
    }

    private LocalFileStore CreateLocalStore() => new(
        MsOptions.Create(StoreOptions(_root)), Clock, NullLogger<LocalFileStore>.Instance);

    [Test]
    public void Creates_the_storage_directory_at_construction()
    {
        _ = CreateStore();

        Directory.Exists(_root).Should().BeTrue();
    }

    [Test]
    public async Task A_file_is_one_directory_named_by_its_id()
    {
        var store = CreateStore();

        var saved = await store.SaveAsync("../../etc/pass\nwd", new MemoryStream([1]), Unlimited, CancellationToken.None);

        Directory.EnumerateDirectories(_root).Select(Path.GetFileName).Should().Equal(saved.FileId);
    }

    [TestCase("../etc")]
    [TestCase("..")]
    [TestCase("ABC")]
    [TestCase("0123456789ABCDEF0123456789ABCDEF")]
    [TestCase("0123456789abcdef0123456789abcdef0")]
    public async Task Malformed_ids_never_touch_the_disk(string fileId)
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
        Clock.Set(DateTimeOffset.UtcNow);

        var store = CreateStore();

        Directory.Exists(abandoned.FullName).Should().BeFalse();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }

    [Test]
    public async Task An_upload_in_progress_elsewhere_is_not_mistaken_for_a_leftover()
    {
        var inProgress = Directory.CreateDirectory(Path.Combine(_root, ".staging-in-progress"));
        Clock.Set(DateTimeOffset.UtcNow);

        var store = CreateStore();

        Directory.Exists(inProgress.FullName).Should().BeTrue();
        (await store.ListAsync(CancellationToken.None)).Should().BeEmpty();
    }
}
