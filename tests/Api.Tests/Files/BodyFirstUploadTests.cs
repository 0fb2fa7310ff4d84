using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Api.Tests.Files;

/// <summary>
/// A too-large upload from a client that sends the whole body before it reads the answer (Python's
/// http.client, under requests and httpx) gets the 413 problem details, not a broken pipe. Real
/// sockets: the service on Kestrel on loopback, the client in a python3 process.
/// </summary>
// Its cases run one at a time: they share one store, and one case's upload in flight (its staging
// folder) must not be taken for another's leftover.
[TestFixture]
public sealed class BodyFirstUploadTests
{
    private const int MaxFileSizeMb = 16;
    private const int Megabyte = 1024 * 1024;

    private string _storage = null!;
    private ApiFactory _factory = null!;
    private Uri _address = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _storage = Directory.CreateTempSubdirectory("ci-body-first-").FullName;
        _factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["EXECUTOR_IMAGE"] = "127.0.0.1:9/code-interpreter-test-missing:none",
            ["FILE_STORAGE_DIR"] = _storage,
            ["MAX_FILE_SIZE_MB"] = MaxFileSizeMb.ToString(CultureInfo.InvariantCulture),
        });
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        _address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _factory.DisposeAsync();
        Directory.Delete(_storage, recursive: true);
    }

    // 31 MB declared: refused before reading (over any acceptable body; also over the server's
    // default 30 MB body limit), the rest read and discarded. 16.5 MB declared and 24 MB chunked:
    // refused while the file streams in, then the rest discarded. Before the drain, the first and
    // the last broke the client's pipe.
    [TestCase(31 * Megabyte, "declared")]
    [TestCase((MaxFileSizeMb * Megabyte) + (Megabyte / 2), "declared")]
    [TestCase(24 * Megabyte, "chunked")]
    public async Task An_oversized_upload_sent_body_first_reads_the_413(int size, string mode)
    {
        var (exitCode, output, error) = await UploadBodyFirstAsync(size, mode);

        exitCode.Should().Be(0, "the client must finish sending and read the answer; it said: {0}", error);
        var lines = output.Split('\n', 2);
        lines[0].Should().Be("413");
        var problem = JsonDocument.Parse(lines[1]).RootElement;
        problem.GetProperty("status").GetInt32().Should().Be(413);
        problem.GetProperty("detail").GetString().Should().Be($"File size exceeds maximum of {MaxFileSizeMb} MB");
        Directory.EnumerateFileSystemEntries(_storage).Should().BeEmpty("nothing of a refused upload is kept");
    }

    private Task<(int ExitCode, string Output, string Error)> UploadBodyFirstAsync(int size, string mode)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Files", "Scripts", "body_first_upload.py");
        var start = new ProcessStartInfo("python3", [script, _address.Host, _address.Port.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture), mode]);
        return ChildProcess.RunAsync(start, TimeSpan.FromSeconds(90), "the body-first client");
    }
}
