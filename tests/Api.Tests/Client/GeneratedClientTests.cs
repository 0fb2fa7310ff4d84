using System.Text;
using CodeInterpreter.Client;

namespace CodeInterpreter.Api.Tests.Client;

/// <summary>
/// The NSwag-generated C# client (src/Client) against the real pipeline: proves the generated code,
/// the OpenAPI document it comes from and the service agree on the wire.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GeneratedClientTests : RealEngineApiTests
{
    private ExecutionsClient Executions => new(Client);

    private FilesClient Files => new(Client);

    [Test]
    public async Task Health_reports_ok_with_the_service_version()
    {
        var health = await new HealthClient(Client).HealthAsync();

        health.Status.Should().Be("ok");
        health.Version.Should().MatchRegex(@"^\d+\.\d+\.\d+$");
    }

    [Test]
    public async Task Execute_returns_the_output_of_the_code()
    {
        var result = await Executions.ExecuteAsync(new ExecuteRequest { Code = "print('hi')" });

        result.Stdout.Should().Be("hi\n");
        result.Stderr.Should().BeEmpty();
        result.ExitCode.Should().Be(0);
        result.TimedOut.Should().BeFalse();
        result.Error.Should().BeNull();
    }

    [Test]
    public async Task Execute_returns_typed_usage_and_outputs()
    {
        var result = await Executions.ExecuteAsync(new ExecuteRequest { Code = "display({'a': 1})\n2 + 3" });

        result.Usage!.WallMs.Should().BeGreaterThanOrEqualTo(0);
        result.Usage.PeakMemoryBytes.Should().BePositive();
        result.Outputs.Select(o => o.Type).Should().Equal("display_data", "execute_result");
        result.Outputs.Last().Data["text/plain"].ToString().Should().Be("5");
        result.OutputsTruncated.Should().BeFalse();
    }

    [Test]
    public async Task Uploaded_file_is_staged_and_generated_file_is_downloaded_then_deleted()
    {
        using var input = new MemoryStream(Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n"));
        var uploaded = await Files.UploadAsync(new FileParameter(input, "data.csv", "text/csv"));
        uploaded.Filename.Should().Be("data.csv");
        uploaded.SizeBytes.Should().Be(12);

        var result = await Executions.ExecuteAsync(new ExecuteRequest
        {
            Code = "import csv\nrows = list(csv.DictReader(open('data.csv')))\n"
                + "open('sum.txt', 'w').write(str(sum(int(r['b']) for r in rows)))",
            Files = [new ExecuteFileReference { Path = "data.csv", FileId = uploaded.FileId }],
            LastLineInteractive = false,
        });

        result.ExitCode.Should().Be(0, result.Stderr);
        var generated = result.Files.Should().ContainSingle(f => f.Path == "sum.txt").Subject;
        using (var download = await Files.DownloadAsync(generated.FileId!))
        {
            download.StatusCode.Should().Be(200);
            using var reader = new StreamReader(download.Stream);
            (await reader.ReadToEndAsync()).Should().Be("6");
        }

        (await Files.ListAsync()).Files.Select(f => f.FileId).Should().Contain([uploaded.FileId, generated.FileId!]);
        await Files.DeleteAsync(generated.FileId!);
        await Files.DeleteAsync(uploaded.FileId);
        (await Files.ListAsync()).Files.Select(f => f.FileId).Should().NotContain([uploaded.FileId, generated.FileId!]);
    }

    [Test]
    public async Task Opened_session_expires_at_a_unix_time_in_seconds()
    {
        var sessions = new SessionsClient(Client);

        var session = await sessions.CreateAsync(new SessionCreateRequest { TtlSeconds = 600 });

        try
        {
            DateTimeOffset.UnixEpoch.AddSeconds(session.ExpiresAt).Should().BeCloseTo(DateTimeOffset.UtcNow.AddSeconds(600), TimeSpan.FromSeconds(60));
        }
        finally
        {
            await sessions.DeleteAsync(session.SessionId);
        }
    }

    [Test]
    public async Task Invalid_request_surfaces_as_ApiException_with_status_422_and_the_problem()
    {
        var call = () => Executions.ExecuteAsync(new ExecuteRequest { Code = "print(1)", TimeoutMs = 0 });

        var thrown = await call.Should().ThrowAsync<ApiException<ValidationProblemDetails>>();
        thrown.Which.StatusCode.Should().Be(422);
        thrown.Which.Result.Status.Should().Be(422);
        thrown.Which.Result.Errors.Should().ContainKey("timeout_ms");
    }

    [Test]
    public async Task Unknown_file_surfaces_as_ApiException_with_status_404()
    {
        var call = () => Files.DownloadAsync(new string('0', 32));

        var thrown = await call.Should().ThrowAsync<ApiException<ProblemDetails>>();
        thrown.Which.StatusCode.Should().Be(404);
        thrown.Which.Result.Detail.Should().Contain("not found");
    }
}
