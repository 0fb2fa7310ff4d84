using System.Diagnostics;
using System.Net;
using CodeInterpreter.EndToEnd.Tests.Client;

namespace CodeInterpreter.EndToEnd.Tests.Hosting;

/// <summary>How to start one API container: the `docker run` arguments the README documents.</summary>
internal sealed record ApiContainerSpec(string Image, string Purpose)
{
    /// <summary>Flags before the image (privileges, volumes, network).</summary>
    public IReadOnlyList<string> RunFlags { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Serve on a unix socket in this host folder (mounted at /run/e2e) instead of a published TCP
    /// port: the way in when the container has no network at all.
    /// </summary>
    public string? UnixSocketFolder { get; init; }
}

/// <summary>
/// One API container started with the docker CLI, reached through <see cref="Client"/>; removed
/// (with its anonymous volumes) on dispose. Its name carries "ci-e2e" and the run's id.
/// </summary>
internal sealed class ApiContainer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private readonly HttpClient _http;
    private readonly Stopwatch _sinceStart;

    private ApiContainer(string id, string name, HttpClient http, Stopwatch sinceStart)
    {
        Id = id;
        Name = name;
        _http = http;
        _sinceStart = sinceStart;
        Client = new CodeInterpreterClient(http);
    }

    public string Id { get; }

    public string Name { get; }

    public CodeInterpreterClient Client { get; }

    /// <summary>How long a Docker-in-Docker container may take to become ready (it loads its executor image first).</summary>
    public static readonly TimeSpan NestedReadyTimeout = TimeSpan.FromMinutes(5);

    /// <summary>A Docker-in-Docker container of <paramref name="image"/>, with the privileges its nested engine needs on this host.</summary>
    public static async Task<ApiContainer> StartNestedAsync(string image, string purpose, IReadOnlyDictionary<string, string> environment) =>
        await StartAsync(new ApiContainerSpec(image, purpose)
        {
            RunFlags = await NestedEnginePrivileges.ForAsync(image),
            Environment = environment,
        });

    public static async Task<ApiContainer> StartAsync(ApiContainerSpec spec)
    {
        var name = $"ci-e2e-{spec.Purpose}-{Guid.NewGuid().ToString("N")[..8]}";
        List<string> args = ["run", "-d", "--name", name, .. spec.RunFlags];
        foreach (var (key, value) in spec.Environment)
        {
            args.AddRange(["-e", $"{key}={value}"]);
        }

        if (spec.UnixSocketFolder is { } folder)
        {
            args.AddRange(["-v", $"{folder}:/run/e2e", "-e", "ASPNETCORE_URLS=http://unix:/run/e2e/api.sock"]);
        }
        else
        {
            args.AddRange(["-p", "127.0.0.1::8000"]);
        }

        args.Add(spec.Image);
        var sinceStart = Stopwatch.StartNew();
        var id = await HostCommand.DockerOkAsync(CommandTimeout, [.. args]);
        HttpClient http;
        if (spec.UnixSocketFolder is { } socketFolder)
        {
            http = CodeInterpreterClient.CreateUnixSocketHttpClient(Path.Combine(socketFolder, "api.sock"));
        }
        else
        {
            // "127.0.0.1:49153" (one line per address family the port is published on).
            var published = await HostCommand.DockerOkAsync(CommandTimeout, "port", id, "8000/tcp");
            var address = published.Split('\n', StringSplitOptions.TrimEntries).First(a => a.StartsWith("127.0.0.1:", StringComparison.Ordinal));
            http = CodeInterpreterClient.CreateHttpClient(new Uri($"http://{address}/"));
        }

        TestContext.Progress.WriteLine($"[e2e] started {name} from {spec.Image}");
        return new ApiContainer(id, name, http, sinceStart);
    }

    /// <summary>
    /// Polls /health/ready until 200; returns the time from `docker run` to ready. Each not-ready
    /// answer is handed to <paramref name="whileNotReady"/> (to check what the service does meanwhile).
    /// Fails with the container's log when the deadline passes or the container exits.
    /// </summary>
    public async Task<TimeSpan> WaitUntilReadyAsync(TimeSpan timeout, Func<ApiException, Task>? whileNotReady = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? lastAnswer = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await Client.ReadyAsync();
                return _sinceStart.Elapsed;
            }
            catch (ApiException notReady) when (notReady.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                lastAnswer = notReady.Response;
                if (whileNotReady is not null)
                {
                    await whileNotReady(notReady);
                }
            }
            catch (HttpRequestException ex)
            {
                lastAnswer = ex.Message;   // not listening yet
            }

            if (!await IsRunningAsync())
            {
                Assert.Fail($"{Name} exited before it was ready; its log:\n{await LogsAsync()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        Assert.Fail($"{Name} was not ready within {timeout} (last answer: {lastAnswer}); its log:\n{await LogsAsync()}");
        return TimeSpan.Zero;
    }

    /// <summary>`docker stop` (SIGTERM, then SIGKILL after 30 s); returns the service's exit code.</summary>
    public async Task<int> StopAsync()
    {
        var stopping = Stopwatch.StartNew();
        await HostCommand.DockerOkAsync(TimeSpan.FromMinutes(1), "stop", "-t", "30", Id);
        var exitCode = await HostCommand.DockerOkAsync(CommandTimeout, "inspect", "-f", "{{.State.ExitCode}}", Id);
        await TestContext.Progress.WriteLineAsync($"[e2e] stopped {Name} in {stopping.Elapsed.TotalSeconds:0.0} s, exit code {exitCode}");
        return int.Parse(exitCode, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<string> LogsAsync()
    {
        var result = await HostCommand.DockerAsync(CommandTimeout, "logs", Id);
        return result.Stdout + result.Stderr;
    }

    /// <summary>Runs a command inside the container (`docker exec`).</summary>
    public Task<CommandResult> ExecAsync(params string[] command) =>
        HostCommand.DockerAsync(CommandTimeout, ["exec", Id, .. command]);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        var removing = Stopwatch.StartNew();
        await HostCommand.DockerAsync(CommandTimeout, "rm", "-f", "-v", Id);
        await TestContext.Progress.WriteLineAsync($"[e2e] removed {Name} and its volumes in {removing.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<bool> IsRunningAsync()
    {
        var result = await HostCommand.DockerAsync(CommandTimeout, "inspect", "-f", "{{.State.Running}}", Id);
        return result.Succeeded && result.Stdout.Trim() == "true";
    }
}
