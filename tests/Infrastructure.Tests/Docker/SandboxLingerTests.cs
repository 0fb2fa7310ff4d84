using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// A one-shot runner stays after its result until the service removes the sandbox (the engine then
/// handles the container's end at the removal, off the next call's path), but nothing the code
/// started stays with it.
/// </summary>
[TestFixture]
public sealed class SandboxLingerTests
{
    // A process in a new session, a daemon (double fork, setsid) and a child that forks in a loop:
    // none of them is in the code's process group, which the runner kills first.
    private const string Spawner = """
        import os, subprocess, sys
        subprocess.Popen([sys.executable, '-c', 'import time\nwhile True: time.sleep(0.01)'], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                while True:
                    if os.fork() == 0:
                        os._exit(0)
                    try:
                        os.wait()
                    except ChildProcessError:
                        pass
            os._exit(0)
        print('spawned')
        """;

    [OneTimeSetUp]
    public async Task RequireEngineAsync() => await RealEngine.RequireAsync();

    [Test]
    public async Task After_its_result_the_sandbox_holds_only_its_runner_until_it_is_removed()
    {
        await using var fixture = new SandboxFixture();
        var request = SandboxFixture.Request(Spawner);
        var sandbox = await SandboxContainer.StartAsync(
            fixture.Containers, fixture.Options, new SandboxShape(256, ""), request.ExecutionId,
            NullLogger.Instance, CancellationToken.None);
        await using (sandbox)
        {
            var result = await sandbox.RunAsync(
                request, RunnerRequest.For(request, fixture.Options), TimeSpan.FromSeconds(30), CancellationToken.None);

            result.Stdout.Should().Be("spawned\n");
            IList<IList<string>> processes = [];
            var alone = await RealEngine.EventuallyAsync(async () =>
            {
                processes = (await fixture.Client.Containers.ListProcessesAsync(sandbox.Id, new ContainerListProcessesParameters())).Processes;
                return processes.Count == 1;
            }, TimeSpan.FromSeconds(5));
            alone.Should().BeTrue(
                $"only the runner stays after the result; the sandbox held: {string.Join(" | ", processes.Select(p => string.Join(' ', p)))}");
            var state = (await fixture.Client.Containers.InspectContainerAsync(sandbox.Id)).State;
            (state?.Running ?? false).Should().BeTrue("the runner waits for the removal instead of ending the container during the next call");
        }

        (await RealEngine.EventuallyAsync(async () => await RealEngine.CountSandboxesAsync(fixture.Options.Instance) == 0, TimeSpan.FromSeconds(10)))
            .Should().BeTrue("disposing the sandbox removes it");
    }
}
