using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Tests.Docker;
using CodeInterpreter.Tests.Shared;
using Docker.DotNet;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

/// <summary>
/// A session's code against its supervisor, under runc and under gVisor: the supervisor's protocol
/// stream and its control of the cell stay out of the code's reach.
/// </summary>
[TestFixture("runc")]
[TestFixture("runsc")]
[Parallelizable(ParallelScope.Children)]
public sealed class SessionSecurityTests(string runtime)
{
    private IDockerClient _docker = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        await RealEngine.RequireRuntimeAsync(runtime);
        _docker = RealEngine.CreateClient();
    }

    [OneTimeTearDown]
    public void Stop() => _docker?.Dispose();

    [Test]
    public async Task A_cell_cannot_reach_the_supervisor_s_protocol_stream_through_proc()
    {
        var (provider, reaper) = RealSessions.Create(_docker, runtime);
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        var result = await provider.ExecuteAsync(session.SessionId, RealSessions.Cell(ProtocolForgery.Code), CancellationToken.None);

        ProtocolForgery.ShouldBeRefused(result!.Execution.Stdout);
        (await provider.ExecuteAsync(session.SessionId, RealSessions.Cell("print('still the same session')"), CancellationToken.None))!
            .Execution.Stdout.Should().Be("still the same session\n");
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }

    // The interpreter runs the code in its own process, so whatever it writes to the supervisor the code
    // can write too: none of it may end a cell or say how it ended once it has not.
    [Test]
    public async Task A_cell_that_forges_the_interpreter_s_end_of_cell_lines_gets_what_it_really_did()
    {
        var (provider, reaper) = RealSessions.Create(_docker, runtime);
        var session = await provider.OpenAsync(new SessionSpec(TimeSpan.FromHours(1), 256), CancellationToken.None);

        var forged = await provider.ExecuteAsync(session.SessionId, RealSessions.Cell(ControlForgery.Code), CancellationToken.None);
        var next = await provider.ExecuteAsync(session.SessionId, RealSessions.Cell("print('next cell')"), CancellationToken.None);

        forged!.Execution.Stdout.Should().Be(ControlForgery.Output);
        forged.Execution.ExitCode.Should().Be(3, forged.Execution.Stderr);
        next!.Execution.Stdout.Should().Be("next cell\n", "the lines forged for later cells do not end them either");
        next.Execution.ExitCode.Should().Be(0);
        next.InterpreterRestarted.Should().BeFalse();
        await reaper.StopAsync(CancellationToken.None);
        reaper.Dispose();
    }
}
