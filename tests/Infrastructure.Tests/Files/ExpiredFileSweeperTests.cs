using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Files;
using CodeInterpreter.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Files;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class ExpiredFileSweeperTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"file-sweeper-tests-{Guid.NewGuid():N}");

    [TearDown]
    public void RemoveRoot()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private (LocalFileStore Store, ExpiredFileSweeper Sweeper) Create(int ttlSec, int intervalSec)
    {
        var options = MsOptions.Create(new FileStorageOptions { StorageDir = _root, TtlSec = ttlSec, SweepIntervalSec = intervalSec });
        var store = new LocalFileStore(options, TimeProvider.System, NullLogger<LocalFileStore>.Instance);
        return (store, new ExpiredFileSweeper(store, options, TimeProvider.System, NullLogger<ExpiredFileSweeper>.Instance));
    }

    [Test]
    public async Task A_file_older_than_the_ttl_is_deleted_by_the_running_sweeper()
    {
        var (store, sweeper) = Create(ttlSec: 1, intervalSec: 1);
        var saved = await store.SaveAsync("short-lived.txt", new MemoryStream([1, 2, 3]), long.MaxValue, CancellationToken.None);

        await sweeper.StartAsync(CancellationToken.None);
        var gone = await RealEngine.EventuallyAsync(
            async () => await store.GetAsync(saved.FileId, CancellationToken.None) is null, TimeSpan.FromSeconds(15));
        await sweeper.StopAsync(CancellationToken.None);
        sweeper.Dispose();

        gone.Should().BeTrue("a 1 s TTL swept every second must remove the file within a few seconds");
        Directory.EnumerateFileSystemEntries(_root).Should().BeEmpty();
    }

    [Test]
    public async Task A_ttl_of_zero_keeps_files_forever()
    {
        var (store, sweeper) = Create(ttlSec: 0, intervalSec: 1);
        var saved = await store.SaveAsync("kept.txt", new MemoryStream([1]), long.MaxValue, CancellationToken.None);

        await sweeper.StartAsync(CancellationToken.None);
        await sweeper.ExecuteTask!;
        await sweeper.StopAsync(CancellationToken.None);
        sweeper.Dispose();

        sweeper.ExecuteTask.IsCompletedSuccessfully.Should().BeTrue("the sweeper has nothing to do and ends at once");
        (await store.GetAsync(saved.FileId, CancellationToken.None)).Should().NotBeNull();
    }
}
