using System.Security.Cryptography;
using System.Text;
using Generated = CodeInterpreter.Client;

namespace CodeInterpreter.EndToEnd.Tests.ScaleOut;

/// <summary>
/// The compose deployment used as clients use it: the generated C# client, every call through the load
/// balancer (round robin over three replicas). Which replica answered is read from <c>X-Replica</c>, so
/// each test shows that the work crossed replicas: a file stored by one is used and downloaded through
/// others; a background execution is submitted, polled and cancelled on different replicas; a session
/// opened on one is used, streamed and deleted through the others (forwarded to its owner).
/// </summary>
[TestFixture]
[Order(1)]
[NonParallelizable]
public sealed class LoadBalancedScenarioTests
{
    private readonly ReplicaRecorder _recorder = new();
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public void CreateClient() =>
        _http = new HttpClient(_recorder) { BaseAddress = ScaleOutSetUp.Deployment.LoadBalancer, Timeout = TimeSpan.FromMinutes(2) };

    [OneTimeTearDown]
    public void DisposeClient() => _http.Dispose();

    private static void Log(string line) => TestContext.Progress.WriteLine($"[scale-out] {line}");

    private static string Describe(IEnumerable<Answer> answers) =>
        string.Join("; ", answers.Select(a => $"{a.Path} {a.Status} by {a.Replica}{(a.ForwardedBy is null ? "" : $" via {a.ForwardedBy}")}"));

    [Test]
    public async Task A_file_uploaded_through_one_replica_is_used_and_its_output_downloaded_through_others()
    {
        var files = new Generated.FilesClient(_http);
        var executions = new Generated.ExecutionsClient(_http);
        var answers = _recorder.Begin();
        var input = RandomNumberGenerator.GetBytes(300_000);

        using var data = new MemoryStream(input);
        var stored = await files.UploadAsync(new Generated.FileParameter(data, "input.bin", "application/octet-stream"));
        var storedBy = _recorder.Last.Replica;
        var ran = await executions.ExecuteAsync(new Generated.ExecuteRequest
        {
            Code = "import hashlib\ndata = open('input.bin', 'rb').read()\nopen('out.txt', 'w').write(hashlib.sha256(data).hexdigest())\nprint(len(data))",
            TimeoutMs = 30_000,
            Files = [new Generated.ExecuteFileReference { Path = "input.bin", FileId = stored.FileId }],
        });
        var ranBy = _recorder.Last.Replica;
        var output = ran.Files.Single(f => f.Path == "out.txt");
        string? downloadedBy = null;
        byte[] downloaded = [];
        for (var attempt = 0; attempt < 6 && (downloadedBy is null || downloadedBy == ranBy); attempt++)
        {
            using var file = await files.DownloadAsync(output.FileId!);
            using var copy = new MemoryStream();
            await file.Stream.CopyToAsync(copy);
            downloaded = copy.ToArray();
            downloadedBy = _recorder.Last.Replica;
        }

        Log($"file flow: {Describe(answers)}");
        ran.Stdout.Should().Be("300000\n", "the replica that ran the code read the file another replica stored");
        Encoding.ASCII.GetString(downloaded).Should().Be(Convert.ToHexStringLower(SHA256.HashData(input)));
        new[] { storedBy, ranBy, downloadedBy }.Should().OnlyContain(r => !string.IsNullOrEmpty(r));
        answers.Select(a => a.Replica).Distinct().Should().HaveCountGreaterThan(1, "round robin spreads the calls");
        downloadedBy.Should().NotBe(ranBy, "the generated file is downloaded through a replica other than the one that stored it");
    }

    [Test]
    public async Task A_background_execution_is_submitted_polled_and_cancelled_on_different_replicas()
    {
        var jobs = new Generated.ExecutionJobsClient(_http);
        var answers = _recorder.Begin();

        var quick = await jobs.SubmitAsync(new Generated.ExecuteRequest { Code = "print(6 * 7)", TimeoutMs = 30_000, Files = [] });
        var quickDone = await PollAsync(jobs, quick.ExecutionId, s => s is "completed" or "failed");
        var slow = await jobs.SubmitAsync(new Generated.ExecuteRequest { Code = "import time\ntime.sleep(60)", TimeoutMs = 60_000, Files = [] });
        var submittedBy = _recorder.Last.Replica;
        await PollAsync(jobs, slow.ExecutionId, s => s == "running");
        var cancelled = await jobs.CancelAsync(slow.ExecutionId);
        var cancelledBy = _recorder.Last.Replica;

        Log($"background flow: {Describe(answers)}");
        quickDone.Status.Should().Be("completed");
        quickDone.Result!.Stdout.Should().Be("42\n");
        cancelled.Status.Should().Be("cancelled");
        answers.Select(a => a.Replica).Distinct().Should().HaveCountGreaterThan(1, "submit, polls and cancel are spread over the replicas");
        answers.Where(a => a.Path.StartsWith("GET", StringComparison.Ordinal)).Select(a => a.Replica)
            .Should().Contain(r => r != submittedBy, "some poll was answered by a replica other than the one the execution was submitted to");
        Log($"the 60 s execution was submitted through {submittedBy} and cancelled through {cancelledBy}");
    }

    [Test]
    public async Task A_session_opened_through_one_replica_is_used_and_deleted_through_the_others()
    {
        var sessions = new Generated.SessionsClient(_http);
        var answers = _recorder.Begin();
        var deletedThroughAnother = false;
        string? owner = null;
        var outputs = new List<string>();

        // Round robin sends the calls after the create to the other replicas in turn; should another
        // client's call shift the turn and the delete land on the owner itself, one more session.
        for (var attempt = 0; attempt < 3 && !deletedThroughAnother; attempt++)
        {
            var session = await sessions.CreateAsync(new Generated.SessionCreateRequest { TtlSeconds = 300, Files = [] });
            owner = _recorder.Last.Replica;
            await sessions.ExecuteAsync(session.SessionId, new Generated.SessionExecuteRequest { Code = "counter = 0", TimeoutMs = 10_000 });
            for (var call = 0; call < 3; call++)
            {
                var result = await sessions.ExecuteAsync(
                    session.SessionId, new Generated.SessionExecuteRequest { Code = "counter += 1\nprint(counter)", TimeoutMs = 10_000 });
                outputs.Add(result.Stdout);
            }

            var shell = await sessions.BashAsync(session.SessionId, new Generated.SessionBashRequest { Cmd = "echo $((6 * 7))", TimeoutMs = 10_000 });
            shell.Stdout.Should().Be("42\n");
            (await StreamAsync(session.SessionId, "print(counter)")).Should().Contain("event: output")
                .And.Contain("event: result").And.Contain("\"stdout\":\"3\\n\"", "the streamed call ran in the owner's interpreter");

            // Round robin: once the owner itself has answered a call, the next one goes to another replica.
            for (var align = 0; align < 3 && _recorder.Last.ForwardedBy is not null; align++)
            {
                await sessions.ExecuteAsync(session.SessionId, new Generated.SessionExecuteRequest { Code = "print(counter)", TimeoutMs = 10_000 });
            }

            await sessions.DeleteAsync(session.SessionId);
            deletedThroughAnother = _recorder.Last.ForwardedBy is { } by && by != owner;
            var gone = () => sessions.ExecuteAsync(session.SessionId, new Generated.SessionExecuteRequest { Code = "1", TimeoutMs = 10_000 });
            (await gone.Should().ThrowAsync<Generated.ApiException>()).Which.StatusCode.Should().Be(404);
        }

        Log($"session flow: {Describe(answers)}");
        outputs.Take(3).Should().Equal("1\n", "2\n", "3\n");
        var sessionCalls = answers.Where(a => a.Path.Contains("/execute", StringComparison.Ordinal) && a.Status == 200).ToList();
        sessionCalls.Should().OnlyContain(a => a.Replica != null);
        answers.Where(a => a.ForwardedBy is not null).Should().NotBeEmpty("calls reaching a replica other than the owner are forwarded to it");
        answers.Where(a => a.ForwardedBy is not null).Should().OnlyContain(a => a.ForwardedBy != a.Replica);
        deletedThroughAnother.Should().BeTrue("a session was deleted through a replica other than its owner");
    }

    /// <summary>A streamed session call (server-sent events) through the load balancer; the whole stream's text.</summary>
    private async Task<string> StreamAsync(string sessionId, string code)
    {
        var body = $$"""{"code": {{System.Text.Json.JsonSerializer.Serialize(code)}}, "timeout_ms": 10000}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"v1/sessions/{sessionId}/execute/stream", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        ((int)response.StatusCode).Should().Be(200);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<Generated.ExecutionJobResponse> PollAsync(
        Generated.ExecutionJobsClient jobs, string id, Func<string, bool> reached)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var job = await jobs.GetAsync(id);
        while (!reached(job.Status) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            job = await jobs.GetAsync(id);
        }

        reached(job.Status).Should().BeTrue($"execution {id} should get there; last status {job.Status}");
        return job;
    }
}
