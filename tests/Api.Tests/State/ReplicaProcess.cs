using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;

namespace CodeInterpreter.Api.Tests.State;

/// <summary>One service process: the built Api on a free loopback port, its log kept for a failure's message.</summary>
internal sealed class ReplicaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private ReplicaProcess(string name, Process process, string url, string instance)
    {
        Name = name;
        _process = process;
        Url = url;
        Instance = instance;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(100) };
    }

    public string Name { get; }

    public string Url { get; }

    public string Instance { get; }

    public HttpClient Client { get; }

    public static ReplicaProcess Start(string name, string databaseUrl, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var instance = $"replica-{name}-{Guid.NewGuid():N}"[..24];
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "CodeInterpreter.Api.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DATABASE_URL"] = databaseUrl;
        start.Environment["REPLICA_URL"] = url;
        start.Environment["EXECUTOR_IMAGE"] = RealEngine.ExecutorImage;
        start.Environment["DOCKER_HOST"] = RealEngine.DockerHost;
        start.Environment["SANDBOX_INSTANCE"] = instance;
        start.Environment["POOL_SIZE"] = "1";
        start.Environment["REPLICA_ID"] = $"replica-{name}";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var replica = new ReplicaProcess(name, process, url, instance);
        process.OutputDataReceived += (_, e) => replica.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    public async Task WaitUntilReadyAsync()
    {
        var ready = await RealEngine.EventuallyAsync(async () =>
        {
            if (_process.HasExited)
            {
                return true;
            }

            try
            {
                using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90));
        (ready && !_process.HasExited).Should().BeTrue($"replica {Name} should become ready; its log:\n{string.Join('\n', _log)}");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote so far.</summary>
    public string Log => string.Join('\n', _log);

    /// <summary>SIGKILL: no shutdown, no last write, as when a machine dies.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        // A killed replica cannot remove its sandboxes: what carries its label goes here.
        using var docker = RealEngine.CreateClient();
        var left = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"code-interpreter.instance={Instance}"] = true },
            },
        });
        foreach (var container in left)
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
