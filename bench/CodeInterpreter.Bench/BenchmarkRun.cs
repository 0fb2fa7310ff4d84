using System.Diagnostics;
using Docker.DotNet;

namespace CodeInterpreter.Bench;

/// <summary>
/// The whole benchmark: the engine reference and the reference's design first, then the service with
/// the pool on, the baseline build (if given), the service with the pool off, one service at a time
/// (two would compete for the same cores), then the leak count and the report.
/// </summary>
internal sealed class BenchmarkRun(BenchOptions options)
{
    public const int Completed = 0;
    public const int SetupFailed = 1;
    public const int RequestsFailedMassively = 2;
    public const int UsageError = 64;
    public const int Cancelled = 130;

    private const string ThisBuild = "this build";
    private const string BaselineBuild = "baseline";
    private const string DefaultDockerHost = "unix:///var/run/docker.sock";
    private const string GVisorRuntime = "runsc";
    private static readonly TimeSpan PoolWarmTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan LeakGrace = TimeSpan.FromSeconds(15);

    private readonly BenchCounts _counts = options.Quick ? BenchCounts.Quick : BenchCounts.Full;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable("EXECUTOR_IMAGE") is not { Length: > 0 } image)
        {
            return Fail("EXECUTOR_IMAGE is not set (scripts/setup.sh exports it; ./bench/run.sh sources it).");
        }

        var apiDll = options.ApiDll ?? DefaultApiDll();
        if (apiDll is null || !File.Exists(apiDll))
        {
            return Fail($"The published service was not found ({apiDll ?? "artifacts/api/CodeInterpreter.Api.dll"}); ./bench/run.sh publishes it.");
        }

        if (options.BaselineApiDll is { } baseline && !File.Exists(baseline))
        {
            return Fail($"The baseline service was not found ({baseline}).");
        }

        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : DefaultDockerHost;
        try
        {
            var results = await MeasureAsync(new ServiceLaunch(apiDll, image, dockerHost, 0, ""), cancellationToken).ConfigureAwait(false);
            BenchReport.Write(Console.Out, results);
            return results.FailedMassively ? RequestsFailedMassively : Completed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail("Cancelled.", Cancelled);
        }
        catch (Exception ex) when (ex is InvalidOperationException or DockerApiException or HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            return Fail(ex.Message);
        }
    }

    private async Task<BenchResults> MeasureAsync(ServiceLaunch template, CancellationToken cancellationToken)
    {
        using var docker = new DockerClientBuilder()
            .WithEndpoint(new Uri(template.DockerHost))
            .WithTimeout(Timeout.InfiniteTimeSpan)
            .Build();
        var census = new ContainerCensus(docker, _runId);
        var engineVersion = (await docker.System.GetVersionAsync(cancellationToken).ConfigureAwait(false)).Version;
        var before = await census.CountAsync(cancellationToken).ConfigureAwait(false);
        Progress($"run {_runId}: bench-labelled containers before: {before.BenchOwned}");

        var churn = new ContainerChurn(docker, template.ExecutorImage, _runId);
        Progress($"engine reference: {_counts.ReferenceContainers} containers, 1 loop");
        var referenceSequential = await churn.MeasureAsync(_counts.ReferenceContainers, 1, cancellationToken).ConfigureAwait(false);
        Progress($"engine reference: {_counts.ReferenceContainers} containers, {BenchCounts.Clients} loops");
        var referenceParallel = await churn.MeasureAsync(_counts.ReferenceContainers, BenchCounts.Clients, cancellationToken).ConfigureAwait(false);
        Progress($"engine reference: {BenchReport.Rate(referenceSequential.Rate)} /s sequential, {BenchReport.Rate(referenceParallel.Rate)} /s with {BenchCounts.Clients} loops");

        var design = new ReferenceDesign(docker, template.ExecutorImage, _runId);
        var referenceDesign = new List<PhaseResult>();
        foreach (var workload in BenchCounts.SingleCallWorkloads)
        {
            var phase = await design.MeasureAsync(workload, _counts.ReferenceDesign(workload), cancellationToken).ConfigureAwait(false);
            referenceDesign.Add(phase);
            Progress($"the reference's design: {workload.Name}: {phase.Requests} calls, {phase.Failed} failed, p50 {BenchReport.Ms(phase.Latency.P50)} ms");
        }

        // The package phase's source: a wheelhouse of the test packages, made from their sources here.
        using var wheelhouse = CodeInterpreter.Tests.Shared.TestWheelhouse.Create();
        var poolOn = await MeasureModeAsync(docker, template with { PoolSize = options.PoolSize, Wheelhouse = wheelhouse.Path }, ThisBuild, async (session, ct) =>
        {
            foreach (var workload in Workload.All)
            {
                await session.RunWorkloadAsync(workload, ct).ConfigureAwait(false);
            }

            await session.RunOpenLoopAsync(ct).ConfigureAwait(false);
            await session.RunSessionCallsAsync(ct).ConfigureAwait(false);
            await session.RunPackagesAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        // Right after this build's pool-on phases, so the two are measured as close in time as possible.
        ModeResult? baseline = null;
        if (options.BaselineApiDll is { } baselineDll)
        {
            baseline = await MeasureModeAsync(docker, template with
            {
                ApiDll = baselineDll,
                PoolSize = options.PoolSize,
                ExecutorImage = options.BaselineImage ?? template.ExecutorImage,
            }, BaselineBuild, async (session, ct) =>
            {
                foreach (var workload in BenchCounts.SingleCallWorkloads)
                {
                    await session.WarmUpAsync(workload, ct).ConfigureAwait(false);
                    await session.RunQuietCallsAsync(workload, ct).ConfigureAwait(false);
                }

                await session.RunOpenLoopAsync(ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }

        var poolOff = await MeasureModeAsync(docker, template with { PoolSize = 0 }, ThisBuild, async (session, ct) =>
        {
            foreach (var workload in Workload.All)
            {
                await session.RunWorkloadAsync(workload, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);

        // The runtime column: this build, pool on, under gVisor, in the same run (so on the same machine state).
        ModeResult? gVisor = null;
        var engine = await docker.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
        if (engine.Runtimes?.ContainsKey(GVisorRuntime) == true)
        {
            gVisor = await MeasureModeAsync(docker, template with { PoolSize = options.PoolSize, Runtime = GVisorRuntime }, ThisBuild, async (session, ct) =>
            {
                foreach (var workload in BenchRuntimeReport.Workloads)
                {
                    await session.WarmUpAsync(workload, ct).ConfigureAwait(false);
                    await session.RunQuietCallsAsync(workload, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Progress($"the engine has no {GVisorRuntime} runtime: the runtime table shows runc only");
        }

        var after = await census.SettleAsync(before.BenchOwned, LeakGrace, cancellationToken).ConfigureAwait(false);
        return new BenchResults(options, _counts, template.ExecutorImage, engineVersion, referenceSequential, referenceParallel,
            referenceDesign, poolOn, baseline, poolOff, gVisor, before, after);
    }

    /// <summary>Starts one service, warms it up, runs <paramref name="phases"/> against it and stops it.</summary>
    private async Task<ModeResult> MeasureModeAsync(
        IDockerClient docker, ServiceLaunch template, string build, Func<ModeSession, CancellationToken, Task> phases,
        CancellationToken cancellationToken)
    {
        var launch = template with { Instance = ContainerCensus.InstanceFor(_runId, $"{build.Replace(' ', '-')}-pool{template.PoolSize}-{template.Runtime}") };
        var label = $"{build}, {(launch.PoolSize > 0 ? "pool on" : "pool off")}{(launch.Runtime == GVisorRuntime ? ", gVisor" : "")}";
        Progress($"starting the service ({build}, {launch.ApiDll}): POOL_SIZE={launch.PoolSize}, SANDBOX_INSTANCE={launch.Instance}");
        using var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var probe = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(5) };
        var host = await ServiceHost.StartAsync(launch, probe, cancellationToken).ConfigureAwait(false);
        await using (host.ConfigureAwait(false))
        {
            using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            var pool = launch.PoolSize > 0 ? new PoolObserver(docker, http, launch.Instance, launch.PoolSize) : null;
            var session = new ModeSession(new LoadPhases(new ExecuteClient(http)), pool, _counts, label);
            var poolMemory = await session.PrepareAsync(PoolWarmTimeout, cancellationToken).ConfigureAwait(false);
            await phases(session, cancellationToken).ConfigureAwait(false);

            var memory = host.ReadMemory();
            Progress($"stopping the service ({label}): SIGTERM, the pool drains");
            var stopped = await host.StopAsync().ConfigureAwait(false);
            return new ModeResult(label, launch.PoolSize, session.Phases, memory, poolMemory, session.PoolNotIdle, session.MachineBusy, stopped);
        }
    }

    /// <summary>The repository root holds CodeInterpreter.sln; the service is published under it.</summary>
    private static string? DefaultApiDll()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CodeInterpreter.sln")))
                {
                    return Path.Combine(dir.FullName, "artifacts", "api", "CodeInterpreter.Api.dll");
                }
            }
        }

        return null;
    }

    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Progress(string message) => Console.Error.WriteLine($"[bench {Clock.Elapsed:mm\\:ss}] {message}");

    private static int Fail(string message, int exitCode = SetupFailed)
    {
        Progress(message);
        return exitCode;
    }
}
