using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>A cold-path sandbox provider on the real engine, with its own instance label.</summary>
internal sealed class SandboxFixture : IDisposable
{
    private readonly IDockerClient _client = RealEngine.CreateClient();

    public SandboxFixture()
    {
        Options = new SandboxOptions
        {
            DockerHost = RealEngine.DockerHost,
            ExecutorImage = RealEngine.ExecutorImage,
            Instance = $"infra-tests-{Guid.NewGuid():N}"[..24],
        };
        Provider = new DockerSandboxProvider(
            _client, new EngineResilience(), Microsoft.Extensions.Options.Options.Create(Options),
            NullLogger<DockerSandboxProvider>.Instance);
    }

    public SandboxOptions Options { get; }

    public ISandboxProvider Provider { get; }

    public Task<Domain.Executions.ExecutionResult> RunAsync(
        string code, int timeoutMs = 10_000, string? stdin = null, int memoryMb = 256,
        long maxOutputBytes = 1_000_000, bool lastLineInteractive = true, int cpuTimeLimitSec = 5) =>
        Provider.RunAsync(
            new SandboxRequest(
                Guid.NewGuid().ToString("N")[..16], code, stdin, lastLineInteractive,
                TimeSpan.FromMilliseconds(timeoutMs), new SandboxLimits(memoryMb, cpuTimeLimitSec, maxOutputBytes)),
            CancellationToken.None);

    public void Dispose() => _client.Dispose();
}
