using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace CodeInterpreter.Bench;

/// <summary>The published service running as a child process on a free loopback port.</summary>
internal sealed class ServiceHost : IAsyncDisposable
{
    private const int LogTailLines = 40;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _logTail = new();

    private ServiceHost(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The last lines the service wrote, to explain a failed start.</summary>
    public string LogTail => string.Join('\n', _logTail);

    /// <exception cref="InvalidOperationException">The service exited or did not become ready in time.</exception>
    public static async Task<ServiceHost> StartAsync(ServiceLaunch launch, HttpClient probe, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(launch.ApiDll);
        foreach (var (name, value) in Environment(launch, port))
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet could not be started.");
        var host = new ServiceHost(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => host.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => host.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitUntilReadyAsync(probe, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch (InvalidOperationException ex)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{ex.Message} Its last output:\n{host.LogTail}", ex);
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>VmRSS and VmHWM from /proc/&lt;pid&gt;/status (what the kernel charges the process).</summary>
    public ServiceMemory ReadMemory()
    {
        var status = File.ReadAllLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status");
        return new ServiceMemory(Kilobytes(status, "VmRSS:") / 1024.0, Kilobytes(status, "VmHWM:") / 1024.0);
    }

    /// <summary>SIGTERM, so the service drains its pool, then waits; true when it exited within the deadline.</summary>
    public async Task<bool> StopAsync()
    {
        if (_process.HasExited)
        {
            return true;
        }

        // Process.Kill sends SIGKILL, which would leave the pooled sandboxes behind.
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var deadline = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync(HttpClient probe, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var ready = new Uri(BaseAddress, "/health/ready");
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // lets the output readers reach the end, for the log tail
                throw new InvalidOperationException($"The service exited with code {_process.ExitCode} before it was ready.");
            }

            if (await AnswersOkAsync(probe, ready, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"The service was not ready within {ReadyTimeout.TotalSeconds} s.");
    }

    private static async Task<bool> AnswersOkAsync(HttpClient probe, Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await probe.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet
        }
    }

    private static Dictionary<string, string> Environment(ServiceLaunch launch, int port)
    {
        var environment = BaseEnvironment(launch, port);
        if (launch.Wheelhouse is { } wheelhouse)
        {
            environment["PACKAGE_WHEELHOUSE"] = wheelhouse;
        }

        return environment;
    }

    private static Dictionary<string, string> BaseEnvironment(ServiceLaunch launch, int port) => new(StringComparer.Ordinal)
    {
        ["HOST"] = "127.0.0.1",
        ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["EXECUTOR_IMAGE"] = launch.ExecutorImage,
        ["DOCKER_HOST"] = launch.DockerHost,
        ["POOL_SIZE"] = launch.PoolSize.ToString(CultureInfo.InvariantCulture),
        ["SANDBOX_INSTANCE"] = launch.Instance,
        ["EXECUTOR_RUNTIME"] = launch.Runtime,
        // The 1 MB workload must come back whole; the default cap is exactly 1 MB.
        ["MAX_OUTPUT_BYTES"] = "2000000",
        ["MAX_CONCURRENT_EXECUTIONS"] = BenchCounts.Clients.ToString(CultureInfo.InvariantCulture),
        ["LOG_LEVEL"] = "WARNING",
    };

    // Racy in theory (another process could take the port before the service binds it), fine for a dev tool.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static long Kilobytes(string[] status, string key) =>
        status.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) is { } line
            ? long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)
            : 0;

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _logTail.Enqueue(line);
        while (_logTail.Count > LogTailLines && _logTail.TryDequeue(out _))
        {
        }
    }
}
