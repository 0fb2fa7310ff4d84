using System.Text;
using CodeInterpreter.Api.Tests;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Cli.Tests.Commands;

[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class FilesCommandTests
{
    private const string Server = "http://localhost/";
    private ApiFactory _factory = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _factory = new ApiFactory();
        _http = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    private Task<CinResult> CinAsync(params string[] args) =>
        CinRunner.RunAsync([.. args, "--server", Server], _factory.Server.CreateHandler());

    [Test]
    public async Task Ls_lists_a_stored_file_with_its_id_size_and_name()
    {
        var id = await _http.UploadFileAsync(Encoding.UTF8.GetBytes("12345"), "listed.txt");

        var result = await CinAsync("files", "ls");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().StartWith("FILE ID");
        result.Stdout.Should().MatchRegex($@"(?m)^{id}\s+5\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+listed\.txt$");
    }

    [Test]
    public async Task Get_writes_the_file_to_the_given_path()
    {
        var id = await _http.UploadFileAsync([1, 2, 3, 0, 255], "blob.bin");
        var target = Path.Combine(Directory.CreateTempSubdirectory("cin-tests-").FullName, "copy.bin");

        var result = await CinAsync("files", "get", id, "-o", target);

        result.ExitCode.Should().Be(0, result.Stderr);
        (await File.ReadAllBytesAsync(target)).Should().Equal(1, 2, 3, 0, 255);
        result.Stderr.Should().Be($"cin: saved {target} (5 bytes){Environment.NewLine}");
    }

    [Test]
    public async Task Get_with_dash_writes_the_bytes_to_stdout()
    {
        var id = await _http.UploadFileAsync(Encoding.UTF8.GetBytes("to stdout"), "out.txt");

        var result = await CinAsync("files", "get", id, "-o", "-");

        result.ExitCode.Should().Be(0, result.Stderr);
        Encoding.UTF8.GetString(result.StdoutBytes).Should().Be("to stdout");
    }

    [Test]
    public async Task Rm_deletes_the_file()
    {
        var id = await _http.UploadFileAsync(Encoding.UTF8.GetBytes("gone"), "gone.txt");

        var result = await CinAsync("files", "rm", id);

        result.ExitCode.Should().Be(0, result.Stderr);
        using var response = await _http.GetAsync(new Uri($"/v1/files/{id}", UriKind.Relative));
        ((int)response.StatusCode).Should().Be(404);
    }

    [Test]
    public async Task Unknown_id_is_reported_with_the_service_s_detail()
    {
        var unknown = new string('0', 32);

        var result = await CinAsync("files", "get", unknown, "-o", "-");

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().Be($"cin: the service refused the request (404): File with ID '{unknown}' not found{Environment.NewLine}");
    }
}
