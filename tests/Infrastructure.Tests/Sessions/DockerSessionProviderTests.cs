using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Sessions;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>The session provider and its reaper on the real engine, with their own instance label.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DockerSessionProviderTests
{
    private IDockerClient _docker = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _docker = RealEngine.CreateClient();
    }

    [OneTimeTearDown]
    public void Stop() => _docker?.Dispose();

    private (DockerSessionProvider Provider, SessionReaper Reaper) Create()
    {
        var sandboxOptions = new SandboxOptions
        {
            DockerHost = RealEngine.DockerHost,
            ExecutorImage = RealEngine.ExecutorImage,
            Instance = $"infra-sessions-{Guid.NewGuid():N}"[..26],
        };
        var sessionOptions = MsOptions.Create(new SessionOptions { SweepIntervalSec = 1 });
        var provider = new DockerSessionProvider(
            new ContainerOperations(_docker, new EngineResilience(), NullLogger<ContainerOperations>.Instance),
            new SessionRegistry(sessionOptions, TimeProvider.System),
            new InMemorySessionDirectory(), new ReplicaIdentity(), MsOptions.Create(new DatabaseOptions()),
            MsOptions.Create(sandboxOptions), MsOptions.Create(new PoolOptions { Preload = "" }), TimeProvider.System,
            NullLogger<DockerSessionProvider>.Instance);
        return (provider, new SessionReaper(provider, sessionOptions, TimeProvider.System, NullLogger<SessionReaper>.Instance));
    }

    private static SandboxRequest Cell(string code) => new(
        Guid.NewGuid().ToString("N")[..16], code, Stdin: null, LastLineInteractive: true, TimeSpan.FromSeconds(10),
        new SandboxLimits(256, 5, 1_000_000));

    private async Task<int> CountContainersAsync(string sessionId)
    {
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SessionLabels.SessionId}={sessionId}"] = true },
            },
        });
        return containers.Count;
    }

    [Test]
    public async Task Stopping_the_reaper_closes_every_session_and_removes_its_sandbox()
    {
        var (provider, reaper) = Create();
        await reaper.StartAsync(CancellationToken.None);
        var first = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);
        var second = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        await reaper.StopAsync(CancellationToken.None);

        (await CountContainersAsync(first.SessionId)).Should().Be(0);
        (await CountContainersAsync(second.SessionId)).Should().Be(0);
        (await provider.ExecuteAsync(first.SessionId, Cell("print(1)"), CancellationToken.None)).Should().BeNull();
        reaper.Dispose();
    }

    [Test]
    public async Task A_session_whose_sandbox_dies_fails_its_call_with_502_and_is_closed()
    {
        var (provider, reaper) = Create();
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);
        var containers = await _docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{SessionLabels.SessionId}={session.SessionId}"] = true },
            },
        });
        await _docker.Containers.KillContainerAsync(containers.Single().ID, new ContainerKillParameters { Signal = "KILL" });

        var call = () => provider.ExecuteAsync(session.SessionId, Cell("print(1)"), CancellationToken.None);

        await call.Should().ThrowAsync<SandboxFailedException>().WithMessage("*session was closed*");
        (await call()).Should().BeNull("the broken session is closed");
        (await CountContainersAsync(session.SessionId)).Should().Be(0);
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    [Test]
    public async Task A_cell_sees_the_files_the_session_was_opened_with_and_what_earlier_cells_did()
    {
        var (provider, reaper) = Create();
        WorkspacePath.TryParse("in/a.txt", out var path, out _).Should().BeTrue();
        var spec = new SessionSpec(TimeSpan.FromHours(1), 256) { InputFiles = [new SandboxInputFile(path!, "hello"u8.ToArray())] };
        var session = await provider.OpenAsync(spec, CancellationToken.None);

        await provider.ExecuteAsync(session.SessionId, Cell("text = open('in/a.txt').read()"), CancellationToken.None);
        var result = await provider.ExecuteAsync(session.SessionId, Cell("text.upper()"), CancellationToken.None);

        result!.Execution.Stdout.Should().Be("'HELLO'\n");
        result.InterpreterRestarted.Should().BeFalse();
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }
}
