using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Sessions;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>The session provider and its reaper on the real engine, each with its own instance label; and cells for them.</summary>
internal static class RealSessions
{
    /// <summary>A provider whose sessions' sandboxes run under <paramref name="runtime"/>, and its reaper.</summary>
    public static (DockerSessionProvider Provider, SessionReaper Reaper) Create(IDockerClient docker, string runtime = "runc")
    {
        var sandboxOptions = new SandboxOptions
        {
            DockerHost = RealEngine.DockerHost,
            ExecutorImage = RealEngine.ExecutorImage,
            Instance = $"infra-sessions-{Guid.NewGuid():N}"[..26],
            Runtime = runtime,
        };
        var sessionOptions = MsOptions.Create(new SessionOptions { SweepIntervalSec = 1 });
        var replica = new ReplicaIdentity(MsOptions.Create(new ReplicaOptions()));
        var provider = new DockerSessionProvider(
            new ContainerOperations(docker, new EngineResilience(), NullLogger<ContainerOperations>.Instance),
            new SessionRegistry(sessionOptions, TimeProvider.System),
            new InMemorySessionDirectory(replica), replica, MsOptions.Create(new DatabaseOptions()),
            MsOptions.Create(sandboxOptions),
            new Infrastructure.Egress.EgressProxy(docker, MsOptions.Create(new EgressOptions()), MsOptions.Create(sandboxOptions), NullLogger<Infrastructure.Egress.EgressProxy>.Instance),
            MsOptions.Create(new PoolOptions { Preload = "" }), TimeProvider.System,
            NullLogger<DockerSessionProvider>.Instance);
        return (provider, new SessionReaper(provider, sessionOptions, TimeProvider.System, NullLogger<SessionReaper>.Instance));
    }

    /// <summary>One cell's request: <paramref name="code"/> under a 256 MB, 1 MB-output sandbox's limits.</summary>
    public static SandboxRequest Cell(string code, int timeoutSec = 10, int cpuTimeLimitSec = 5) => new(
        Guid.NewGuid().ToString("N")[..16], code, Stdin: null, LastLineInteractive: true, TimeSpan.FromSeconds(timeoutSec),
        new SandboxLimits(256, cpuTimeLimitSec, 1_000_000));
}
