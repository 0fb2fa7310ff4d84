using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// The sandbox provider on the real engine, with its own instance label; with a warm pool of
/// <c>poolSize</c> sandboxes, or the cold path only.
/// </summary>
internal sealed class SandboxFixture : IAsyncDisposable
{
    private readonly IDockerClient _client = RealEngine.CreateClient();

    public SandboxFixture(
        int poolSize = 0, string preload = "numpy,pandas", int preloadAfterIdleMs = 1000, string runtime = "runc",
        ILogger<ContainerOperations>? containerLogger = null)
    {
        PoolOptions = new PoolOptions { Size = poolSize, Preload = preload, PreloadAfterIdleMs = preloadAfterIdleMs };
        Options = new SandboxOptions
        {
            DockerHost = RealEngine.DockerHost,
            ExecutorImage = RealEngine.ExecutorImage,
            Instance = $"infra-tests-{Guid.NewGuid():N}"[..24],
            Runtime = runtime,
        };
        var readiness = new ServiceReadiness();
        readiness.MarkReady();
        var containers = Containers = new ContainerOperations(_client, new EngineResilience(), containerLogger ?? NullLogger<ContainerOperations>.Instance);
        Pool = new SandboxPool(
            containers, readiness, MsOptions.Create(Options),
            MsOptions.Create(PoolOptions),
            MsOptions.Create(new ExecutionOptions()), NullLogger<SandboxPool>.Instance);
        EnvironmentPools = new EnvironmentPools(
            containers, readiness, Pool, MsOptions.Create(Options), MsOptions.Create(PoolOptions), NullLogger<EnvironmentPools>.Instance);
        Provider = new DockerSandboxProvider(
            containers, Pool, EnvironmentPools, new SandboxPoolStatus(Pool, EnvironmentPools),
            new Infrastructure.Egress.EgressProxy(_client, MsOptions.Create(new EgressOptions()), MsOptions.Create(Options), NullLogger<Infrastructure.Egress.EgressProxy>.Instance),
            Removals,
            MsOptions.Create(Options), NullLogger<DockerSandboxProvider>.Instance);
    }

    public SandboxOptions Options { get; }

    /// <summary>The pool's options; the pool reads <see cref="PoolOptions.PreloadAfterIdleMs"/> each time it decides.</summary>
    public PoolOptions PoolOptions { get; }

    public SandboxPool Pool { get; }

    /// <summary>The engine operations the pool and the provider use.</summary>
    public ContainerOperations Containers { get; }

    /// <summary>The pools of POOL_ENVIRONMENTS (none configured here, and not started).</summary>
    public EnvironmentPools EnvironmentPools { get; }

    public SandboxRemovals Removals { get; } = new();

    public ISandboxProvider Provider { get; }

    public IDockerClient Client => _client;

    public async Task StartPoolAsync() => await Pool.StartAsync(CancellationToken.None);

    /// <summary>Waits until the pool holds <paramref name="count"/> warm sandboxes.</summary>
    public async Task WaitForWarmAsync(int count) =>
        (await RealEngine.EventuallyAsync(() => Task.FromResult(Pool.WarmCount >= count), TimeSpan.FromSeconds(60)))
            .Should().BeTrue($"the pool should warm {count} sandbox(es) within 60 s");

    public Task<ExecutionResult> RunAsync(
        string code, int timeoutMs = 10_000, string? stdin = null, int memoryMb = 256,
        long maxOutputBytes = 1_000_000, bool lastLineInteractive = true, int cpuTimeLimitSec = 5,
        Func<SandboxRequest, SandboxRequest>? configure = null, CancellationToken cancellationToken = default)
    {
        var request = Request(code, timeoutMs, stdin, memoryMb, maxOutputBytes, lastLineInteractive, cpuTimeLimitSec);
        return Provider.RunAsync(configure is null ? request : configure(request), cancellationToken);
    }

    /// <summary>A request for <paramref name="code"/> with the test defaults.</summary>
    public static SandboxRequest Request(
        string code, int timeoutMs = 10_000, string? stdin = null, int memoryMb = 256,
        long maxOutputBytes = 1_000_000, bool lastLineInteractive = true, int cpuTimeLimitSec = 5) =>
        new(
            Guid.NewGuid().ToString("N")[..16], code, stdin, lastLineInteractive,
            TimeSpan.FromMilliseconds(timeoutMs), new SandboxLimits(memoryMb, cpuTimeLimitSec, maxOutputBytes));

    public async ValueTask DisposeAsync()
    {
        await Pool.StopAsync(CancellationToken.None);
        await Removals.StopAsync(CancellationToken.None);
        Pool.Dispose();
        EnvironmentPools.Dispose();
        _client.Dispose();
    }
}
