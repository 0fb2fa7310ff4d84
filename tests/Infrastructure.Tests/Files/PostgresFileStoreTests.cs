using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Files;
using CodeInterpreter.Infrastructure.Tests.Postgres;

namespace CodeInterpreter.Infrastructure.Tests.Files;

/// <summary>The shared store on a real PostgreSQL: the contract, plus what is particular to keeping files in rows.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class PostgresFileStoreTests : FileStoreContractTests
{
    private TestDatabase _database = null!;

    [SetUp]
    public async Task CreateSchema() => _database = await TestDatabase.CreateAsync();

    [TearDown]
    public async Task DropSchema() => await _database.DisposeAsync();

    // Each store has its own database handle, as each replica has.
    private protected override IFileStore CreateStore() => new PostgresFileStore(_database.Open(), Clock, Microsoft.Extensions.Options.Options.Create(StoreOptions("unused")));

    protected override async Task AssertNothingStoredAsync()
    {
        (await _database.ScalarAsync("SELECT count(*) FROM files")).Should().Be(0);
        (await _database.ScalarAsync("SELECT count(*) FROM file_chunks")).Should().Be(0, "no chunk of an unfinished or deleted file may remain");
    }

    [Test]
    public async Task Uploads_through_four_replicas_at_once_never_exceed_the_store_limit_together()
    {
        StoreLimitMb = 1;

        var kept = await SaveConcurrentlyAsync([CreateStore(), CreateStore(), CreateStore(), CreateStore()]);

        kept.Should().Be(3, "three of 300 000 bytes fit in 1 MB, four do not, whichever replica stores them");
        (await _database.ScalarAsync("SELECT sum(size_bytes) FROM files")).Should().Be(900_000L);
    }

    [Test]
    public async Task Content_is_kept_in_chunks_never_one_row()
    {
        var store = CreateStore();

        await store.SaveAsync("three.bin", new MemoryStream(new byte[(2 * PostgresFileStore.ChunkBytes) + 1]), Unlimited, CancellationToken.None);

        (await _database.ScalarAsync("SELECT count(*) FROM file_chunks")).Should().Be(3);
        (await _database.ScalarAsync("SELECT max(length(data)) FROM file_chunks")).Should().Be(PostgresFileStore.ChunkBytes);
    }

    [Test]
    public async Task An_upload_in_progress_is_invisible_until_it_ends()
    {
        var store = CreateStore();
        var gate = new GatedStream(new byte[3 * PostgresFileStore.ChunkBytes]);

        var save = store.SaveAsync("slow.bin", gate, Unlimited, CancellationToken.None);
        await gate.HalfWay.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var listedMeanwhile = await CreateStore().ListAsync(CancellationToken.None);
        gate.Release.SetResult();
        var saved = await save.WaitAsync(TimeSpan.FromSeconds(30));

        listedMeanwhile.Should().BeEmpty();
        (await store.ListAsync(CancellationToken.None)).Should().Equal(saved);
    }

    // Downloads at once, half of them given up midway (the client went away), each followed by a whole
    // one. Npgsql reuses a pooled connection's reader and command objects for whoever rents it next, so a
    // download that disposed them twice closed another download's reader mid-result; the next command on
    // that connection then failed ("A command is already in progress", or a file's bytes read as protocol
    // messages), as a replica under load once did. Before the fix this failed in about half of the runs.
    [Test]
    public async Task Downloads_at_once_and_given_up_midway_never_share_a_pooled_connection()
    {
        var store = CreateStore();
        var bytes = new byte[(3 * PostgresFileStore.ChunkBytes) + 12_345];
        Random.Shared.NextBytes(bytes);
        var fileId = (await store.SaveAsync("big.bin", new MemoryStream(bytes), Unlimited, CancellationToken.None)).FileId;

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 120), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (round, unused) =>
        {
            using (var abort = new CancellationTokenSource())
            {
                var buffer = new byte[8192];
                try
                {
                    await using var content = (await store.OpenReadAsync(fileId, CancellationToken.None))!;
                    for (var read = 0; read < round % 7; read++)
                    {
                        await content.ReadExactlyAsync(buffer, abort.Token);
                    }

                    // The client goes away while a read is in flight.
                    var inFlight = content.ReadAsync(buffer, abort.Token).AsTask();
                    await abort.CancelAsync();
                    await inFlight;
                }
                catch (OperationCanceledException)
                {
                }
                catch (Exception ex)
                {
                    failures.Add($"download given up midway: {ex.GetType().Name}: {ex.Message}");
                }
            }

            try
            {
                await using var content = (await store.OpenReadAsync(fileId, CancellationToken.None))!;
                using var copy = new MemoryStream();
                await content.CopyToAsync(copy, CancellationToken.None);
                if (!copy.ToArray().AsSpan().SequenceEqual(bytes))
                {
                    failures.Add("a whole download: bytes differ");
                }
            }
            catch (Exception ex)
            {
                failures.Add($"a whole download: {ex.GetType().Name}: {ex.Message}");
            }
        });

        failures.Should().BeEmpty();
    }

    /// <summary>Serves its bytes, pausing once half of them were read until the test releases it.</summary>
    private sealed class GatedStream(byte[] bytes) : Stream
    {
        private int _position;

        public TaskCompletionSource HalfWay { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => bytes.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= bytes.Length / 2)
            {
                HalfWay.TrySetResult();
                await Release.Task.WaitAsync(cancellationToken);
            }

            var count = Math.Min(buffer.Length, bytes.Length - _position);
            bytes.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
