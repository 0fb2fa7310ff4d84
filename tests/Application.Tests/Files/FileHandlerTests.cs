using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Files;
using CodeInterpreter.Domain.Files;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Application.Tests.Files;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class FileHandlerTests
{
    /// <summary>Knows no files; records what it was asked to save.</summary>
    private sealed class EmptyStore : IFileStore
    {
        public (string FileName, long MaxBytes)? Saved { get; private set; }

        public Task<StoredFile> SaveAsync(string fileName, Stream content, long maxBytes, CancellationToken cancellationToken)
        {
            Saved = (fileName, maxBytes);
            return Task.FromResult(new StoredFile(StoredFileId.New(), fileName, content.Length, DateTimeOffset.UtcNow));
        }

        public Task<StoredFile?> GetAsync(string fileId, CancellationToken cancellationToken) => Task.FromResult<StoredFile?>(null);

        public Task<Stream?> OpenReadAsync(string fileId, CancellationToken cancellationToken) => Task.FromResult<Stream?>(null);

        public Task<bool> DeleteAsync(string fileId, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<IReadOnlyList<StoredFile>> ListAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<StoredFile>>([]);

        public Task<int> DeleteExpiredAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => Task.FromResult(0);
    }

    private readonly EmptyStore _store = new();

    [Test]
    public async Task Upload_passes_the_configured_limit_in_bytes_and_a_sanitised_name_to_the_store()
    {
        var handler = new UploadFileHandler(
            _store, MsOptions.Create(new FileStorageOptions { MaxFileSizeMb = 3 }), NullLogger<UploadFileHandler>.Instance);

        await handler.Handle(new UploadFileCommand("C:\\fakepath\\report.csv", new MemoryStream([1, 2])), CancellationToken.None);

        _store.Saved.Should().Be(("report.csv", 3L * 1024 * 1024));
    }

    [Test]
    public async Task Get_of_an_unknown_id_throws_not_found_in_the_reference_words()
    {
        var get = async () => await new GetFileHandler(_store).Handle(new GetFileQuery("abc"), CancellationToken.None);

        (await get.Should().ThrowAsync<NotFoundException>()).Which.Message.Should().Be("File with ID 'abc' not found");
    }

    [Test]
    public async Task Delete_of_an_unknown_id_throws_not_found_in_the_reference_words()
    {
        var delete = async () => await new DeleteFileHandler(_store, NullLogger<DeleteFileHandler>.Instance)
            .Handle(new DeleteFileCommand("abc"), CancellationToken.None);

        (await delete.Should().ThrowAsync<NotFoundException>()).Which.Message.Should().Be("File with ID 'abc' not found");
    }

    [TestCase(1L * 1024 * 1024, "File size exceeds maximum of 1 MB")]
    [TestCase(100L * 1024 * 1024, "File size exceeds maximum of 100 MB")]
    [TestCase(1000L, "File size exceeds maximum of 1000 bytes")]
    public void Payload_too_large_says_the_limit_in_the_reference_words(long maxBytes, string message)
    {
        PayloadTooLargeException.ForFile(maxBytes).Message.Should().Be(message);
    }
}
