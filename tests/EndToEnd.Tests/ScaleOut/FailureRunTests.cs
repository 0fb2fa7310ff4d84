using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Generated = CodeInterpreter.Client;

namespace CodeInterpreter.EndToEnd.Tests.ScaleOut;

/// <summary>
/// The failure run: 8 clients do 60 s of mixed work through the load balancer (executions, uploads,
/// downloads, background submits, calls into their own session); after 20 s one replica is killed
/// (<c>docker kill</c>). It prints the requests and the failures by kind and reason, then checks that
/// nothing acknowledged was lost: every uploaded file downloads byte for byte, every acknowledged
/// background execution reaches a final state; that every request started once the load balancer had
/// noticed succeeded; and that the dead replica's sessions answer 410 while the others keep working.
/// </summary>
[TestFixture]
[Order(2)]
[NonParallelizable]
public sealed class FailureRunTests
{
    private const int Clients = 8;
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long after the kill a request may still fail: HAProxy takes a replica out after 2 failed
    /// checks 1 s apart, and retries a refused connect elsewhere at once.
    /// </summary>
    private static readonly TimeSpan Detection = TimeSpan.FromSeconds(5);

    /// <summary>How long after the kill a call into the dead replica's session may still answer other than 410.</summary>
    private static readonly TimeSpan SessionsLostWithin = TimeSpan.FromSeconds(ComposeDeployment.ReplicaTimeoutSeconds + 4);

    private readonly ConcurrentBag<Request> _requests = [];
    private readonly ConcurrentDictionary<string, byte[]> _uploaded = new();
    private readonly ConcurrentBag<string> _submitted = [];
    private readonly Stopwatch _clock = new();
    private TimeSpan? _killedAt;

    /// <param name="Replica">The replica whose answer the request's last response carried (<c>X-Replica</c>), if any came.</param>
    private sealed record Request(string Kind, TimeSpan Started, TimeSpan Took, string Outcome, bool DeadSession, string? Replica)
    {
        public bool Ok => Outcome == "ok";
    }

    private static void Log(string line) => TestContext.Progress.WriteLine($"[failure-run] {line}");

    [Test]
    public async Task Killing_a_replica_under_load_loses_no_file_and_no_acknowledged_execution()
    {
        var deployment = ScaleOutSetUp.Deployment;
        var recorder = new ReplicaRecorder();
        using var http = new HttpClient(recorder) { BaseAddress = deployment.LoadBalancer, Timeout = TimeSpan.FromSeconds(90) };
        var victim = "api2";
        var victimId = await deployment.ReplicaIdOfAsync(victim);
        var sessions = await OpenSessionsAsync(http, recorder);
        Log($"{Clients} clients, {RunFor.TotalSeconds:0} s, {victim} ({victimId}) killed after {KillAfter.TotalSeconds:0} s; "
            + $"sessions per replica: {string.Join(", ", sessions.GroupBy(s => s.Owner).Select(g => $"{g.Key}={g.Count()}"))}");

        _clock.Start();
        using var stop = new CancellationTokenSource(RunFor);
        var clients = Enumerable.Range(0, Clients).Select(i => RunClientAsync(http, recorder, i, sessions[i], victimId, stop.Token)).ToList();
        await Task.Delay(KillAfter);
        await deployment.KillAsync(victim);
        _killedAt = _clock.Elapsed;
        Log($"killed {victim} at {_killedAt.Value.TotalSeconds:0.0} s");
        await Task.WhenAll(clients);

        var lostFiles = await CheckFilesAsync(http);
        var (unfinished, finalStates) = await CheckExecutionsAsync(http);
        var (deadSessionAnswers, liveSessionsWork) = await CheckSessionsAsync(http, sessions, victimId);
        Report(lostFiles, unfinished, finalStates);

        var late = _requests.Where(r => r.Started >= _killedAt + Detection && !r.DeadSession && !r.Ok).ToList();
        var deadLate = _requests.Where(r => r.DeadSession && r.Started >= _killedAt + SessionsLostWithin).ToList();
        // Before the deployment goes down, passed or not: what the replicas and the load balancer logged
        // about failures (the load balancer logs every request it saw cut, with the side that cut it).
        Log($"failure lines of the services' logs:\n{await deployment.FailureLogLinesAsync()}");

        lostFiles.Should().BeEmpty("every acknowledged upload is in the shared database");
        unfinished.Should().BeEmpty("every acknowledged background execution reaches a final state");
        late.Should().BeEmpty($"requests started {Detection.TotalSeconds:0} s after the kill must all succeed");
        deadLate.Should().OnlyContain(r => r.Outcome == "410", "the dead replica's sessions answer 410 Gone");
        deadSessionAnswers.Should().OnlyContain(s => s == 410).And.NotBeEmpty();
        liveSessionsWork.Should().BeTrue("the sessions of the live replicas keep their state and work");
        _requests.Count(r => r.Ok).Should().BeGreaterThan(100, "the run did real work");
    }

    private sealed record ClientSession(string Id, string Owner);

    private static async Task<List<ClientSession>> OpenSessionsAsync(HttpClient http, ReplicaRecorder recorder)
    {
        var client = new Generated.SessionsClient(http);
        recorder.Begin();
        var sessions = new List<ClientSession>();
        for (var i = 0; i < Clients; i++)
        {
            var session = await client.CreateAsync(new Generated.SessionCreateRequest { TtlSeconds = 600, Files = [] });
            await client.ExecuteAsync(session.SessionId, new Generated.SessionExecuteRequest { Code = "n = 0", TimeoutMs = 10_000 });
            sessions.Add(new ClientSession(session.SessionId, recorder.Last.Replica!));
        }

        return sessions;
    }

    private async Task RunClientAsync(HttpClient http, ReplicaRecorder recorder, int index, ClientSession session, string victimId, CancellationToken stop)
    {
        var executions = new Generated.ExecutionsClient(http);
        var files = new Generated.FilesClient(http);
        var jobs = new Generated.ExecutionJobsClient(http);
        var sessions = new Generated.SessionsClient(http);
        var random = new Random(index);
        var mine = new List<string>();
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            switch (round % 5)
            {
                case 0:
                    await TimeAsync(recorder, "execute", false, async () =>
                    {
                        var result = await executions.ExecuteAsync(new Generated.ExecuteRequest { Code = $"print({index} * {round})", TimeoutMs = 30_000, Files = [] });
                        Expect(result.Stdout == $"{index * round}\n", $"stdout {result.Stdout}");
                    });
                    break;
                case 1:
                    var bytes = RandomNumberGenerator.GetBytes(random.Next(10_000, 300_000));
                    await TimeAsync(recorder, "upload", false, async () =>
                    {
                        using var data = new MemoryStream(bytes);
                        var stored = await files.UploadAsync(new Generated.FileParameter(data, $"c{index}-{round}.bin", "application/octet-stream"));
                        _uploaded[stored.FileId] = bytes;
                        mine.Add(stored.FileId);
                    });
                    break;
                case 2:
                    if (mine.Count > 0)
                    {
                        var fileId = mine[random.Next(mine.Count)];
                        await TimeAsync(recorder, "download", false, async () =>
                        {
                            using var file = await files.DownloadAsync(fileId);
                            using var copy = new MemoryStream();
                            await file.Stream.CopyToAsync(copy);
                            Expect(copy.ToArray().AsSpan().SequenceEqual(_uploaded[fileId]), "bytes differ");
                        });
                    }

                    break;
                case 3:
                    await TimeAsync(recorder, "submit", false, async () =>
                    {
                        var job = await jobs.SubmitAsync(new Generated.ExecuteRequest { Code = "import time\ntime.sleep(0.5)\nprint('done')", TimeoutMs = 30_000, Files = [] });
                        _submitted.Add(job.ExecutionId);
                    });
                    break;
                default:
                    await TimeAsync(recorder, "session", session.Owner == victimId, async () =>
                    {
                        var result = await sessions.ExecuteAsync(session.Id, new Generated.SessionExecuteRequest { Code = "n += 1\nprint(n)", TimeoutMs = 10_000 });
                        Expect(int.TryParse(result.Stdout.Trim(), out var n) && n > 0, $"stdout {result.Stdout}");
                    });
                    break;
            }
        }
    }

    private async Task TimeAsync(ReplicaRecorder recorder, string kind, bool deadSession, Func<Task> call)
    {
        var answers = recorder.Begin();
        var started = _clock.Elapsed;
        string outcome;
        try
        {
            await call();
            outcome = "ok";
        }
        catch (Generated.ApiException ex)
        {
            outcome = ex.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or InvalidDataException)
        {
            outcome = $"{ex.GetType().Name}: {ex.Message.Split('\n')[0]}";
        }

        var replica = answers.Count > 0 ? answers[^1].Replica ?? "(none)" : null;
        _requests.Add(new Request(kind, started, _clock.Elapsed - started, outcome, deadSession && _killedAt is { } killedAt && started >= killedAt, replica));
    }

    private static void Expect(bool condition, string why)
    {
        if (!condition)
        {
            throw new InvalidDataException($"wrong answer: {why}");
        }
    }

    private async Task<List<string>> CheckFilesAsync(HttpClient http)
    {
        var files = new Generated.FilesClient(http);
        var lost = new List<string>();
        foreach (var (fileId, bytes) in _uploaded)
        {
            try
            {
                using var file = await files.DownloadAsync(fileId);
                using var copy = new MemoryStream();
                await file.Stream.CopyToAsync(copy);
                if (!copy.ToArray().AsSpan().SequenceEqual(bytes))
                {
                    lost.Add($"{fileId}: bytes differ");
                }
            }
            catch (Generated.ApiException ex)
            {
                lost.Add($"{fileId}: {ex.StatusCode}");
            }
        }

        return lost;
    }

    private async Task<(List<string> Unfinished, Dictionary<string, int> FinalStates)> CheckExecutionsAsync(HttpClient http)
    {
        var jobs = new Generated.ExecutionJobsClient(http);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(ComposeDeployment.LeaseSeconds + 90);
        var states = new Dictionary<string, string>();
        foreach (var id in _submitted)
        {
            var status = "unknown";
            while (DateTime.UtcNow < deadline)
            {
                status = (await jobs.GetAsync(id)).Status;
                if (status is "completed" or "failed" or "cancelled")
                {
                    break;
                }

                await Task.Delay(250);
            }

            states[id] = status;
        }

        return ([.. states.Where(s => s.Value is not ("completed" or "failed" or "cancelled")).Select(s => $"{s.Key}: {s.Value}")],
            states.GroupBy(s => s.Value).ToDictionary(g => g.Key, g => g.Count()));
    }

    private static async Task<(List<int> DeadAnswers, bool LiveWork)> CheckSessionsAsync(HttpClient http, List<ClientSession> sessions, string victimId)
    {
        var client = new Generated.SessionsClient(http);
        var dead = new List<int>();
        var liveWork = true;
        foreach (var session in sessions)
        {
            try
            {
                var result = await client.ExecuteAsync(session.Id, new Generated.SessionExecuteRequest { Code = "print(n > 0)", TimeoutMs = 10_000 });
                liveWork &= session.Owner != victimId && result.Stdout == "True\n";
                await client.DeleteAsync(session.Id);
            }
            catch (Generated.ApiException ex)
            {
                if (session.Owner == victimId)
                {
                    dead.Add(ex.StatusCode);
                }
                else
                {
                    liveWork = false;
                }
            }
        }

        return (dead, liveWork);
    }

    private void Report(List<string> lostFiles, List<string> unfinished, Dictionary<string, int> finalStates)
    {
        var killedAt = _killedAt!.Value;
        Log($"requests: {_requests.Count} ({_requests.Count(r => r.Ok)} ok) in {RunFor.TotalSeconds:0} s");
        foreach (var kind in _requests.GroupBy(r => r.Kind).OrderBy(g => g.Key))
        {
            var times = kind.Where(r => r.Ok).Select(r => r.Took.TotalMilliseconds).OrderBy(t => t).ToList();
            Log($"  {kind.Key,-8} {kind.Count(),5} requests, {kind.Count(r => !r.Ok),4} failed; median {(times.Count > 0 ? times[times.Count / 2] : 0):0} ms");
        }

        foreach (var failure in _requests.Where(r => !r.Ok).GroupBy(r => (r.Kind, r.Outcome, Phase: Phase(r.Started, killedAt))).OrderBy(g => g.Key.Phase))
        {
            Log($"  failed: {failure.Key.Kind} {failure.Key.Outcome} x{failure.Count()} ({failure.Key.Phase})");
        }

        foreach (var request in _requests.Where(r => !r.Ok && !r.DeadSession && r.Started >= killedAt + Detection).OrderBy(r => r.Started))
        {
            Log($"  late failure: {request.Kind} started at {request.Started.TotalSeconds:0.0} s, took {request.Took.TotalMilliseconds:0} ms, "
                + $"answered by {request.Replica ?? "no replica (no response headers)"}: {request.Outcome}");
        }

        Log($"files uploaded (acknowledged): {_uploaded.Count}, lost or different afterwards: {lostFiles.Count} {string.Join(", ", lostFiles)}");
        Log($"background executions acknowledged: {_submitted.Count}, final states: {string.Join(", ", finalStates.Select(s => $"{s.Key}={s.Value}"))}; not final: {unfinished.Count}");
    }

    private static string Phase(TimeSpan started, TimeSpan killedAt) =>
        started < killedAt ? "started before the kill"
        : started < killedAt + Detection ? $"started within {Detection.TotalSeconds:0} s after the kill"
        : "started later";
}
