using System.Collections.Concurrent;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>A request's <c>PreCommands</c> against the real runner: shell lines run first, in the workspace, under the code's deadline.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class PreCommandsTests : RealSandboxTests
{
    [Test]
    public async Task Their_output_comes_before_the_codes()
    {
        var result = await Sandbox.RunAsync(
            "print('code')", configure: r => r with { PreCommands = ["echo one", "echo two >&2", "echo three"] });

        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("one\nthree\ncode\n");
        result.Stderr.Should().Be("two\n");
    }

    [Test]
    public async Task They_run_in_the_workspace_before_the_code()
    {
        var result = await Sandbox.RunAsync(
            "print(int(open('n.txt').read()) + 1)", configure: r => r with { PreCommands = ["echo 41 > n.txt"] });

        result.Stdout.Should().Be("42\n");
    }

    [Test]
    public async Task A_failing_one_ends_the_run_with_its_exit_code_and_the_code_does_not_run()
    {
        var generated = new CollectedFiles();

        var result = await Sandbox.RunAsync(
            "open('made.txt', 'w').write('x')\nprint('ran')",
            configure: r => r with { PreCommands = ["echo before", "exit 3", "echo after"], GeneratedFiles = generated });

        result.ExitCode.Should().Be(3);
        result.Stdout.Should().Be("before\n", "neither the later line nor the code ran");
        generated.Paths.Should().BeEmpty("the code would have created made.txt");
    }

    [Test]
    public async Task The_code_runs_and_writes_its_files_when_they_succeed()
    {
        var generated = new CollectedFiles();

        var result = await Sandbox.RunAsync(
            "open('made.txt', 'w').write('x')", configure: r => r with { PreCommands = ["true"], GeneratedFiles = generated });

        result.ExitCode.Should().Be(0);
        generated.Paths.Should().Equal("made.txt");
    }

    /// <summary>Keeps the paths of the generated files it is given.</summary>
    private sealed class CollectedFiles : IGeneratedFileSink
    {
        private readonly ConcurrentQueue<string> _paths = new();

        public IReadOnlyList<string> Paths => [.. _paths];

        public Task<StoredFile> StoreAsync(WorkspacePath path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
        {
            _paths.Enqueue(path.Value);
            return Task.FromResult(new StoredFile(Guid.NewGuid().ToString("N"), path.Value, content.Length, DateTimeOffset.UtcNow));
        }
    }

    [Test]
    public async Task One_that_sleeps_past_the_deadline_times_out()
    {
        var result = await Sandbox.RunAsync(
            "print('never')", timeoutMs: 1500, configure: r => r with { PreCommands = ["sleep 30"] });

        result.TimedOut.Should().BeTrue();
        result.ExitCode.Should().BeNull();
        result.Stdout.Should().BeEmpty();
    }
}
