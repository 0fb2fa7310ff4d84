using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Bench;

/// <summary>
/// The reference's design, driven directly on the engine with the same executor image: per call a
/// new container (<c>sleep infinity</c>, no network, the image's non-root user, 256 MB), started,
/// then one exec that writes the code to a file, one that runs it with python3, one that lists the
/// working directory's files, then the container is removed. The time is to the answer (files
/// listed); the removal is not counted, since a service can answer before it, but it is done before
/// the next call, as one sequential caller would see it.
/// </summary>
internal sealed class ReferenceDesign(IDockerClient docker, string executorImage, string runId)
{
    private const string ScriptPath = "/tmp/main.py";
    private const long MemoryLimitBytes = 256L * 1024 * 1024; // the service's MEMORY_LIMIT_MB default, no swap

    private static readonly TimeSpan ExitCodeWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExitCodePoll = TimeSpan.FromMilliseconds(5);

    public async Task<PhaseResult> MeasureAsync(Workload workload, int calls, CancellationToken cancellationToken)
    {
        var outcomes = new List<RequestOutcome>(calls);
        var clock = new PhaseClock();
        for (var i = 0; i < calls; i++)
        {
            outcomes.Add(await CallAsync(workload, cancellationToken).ConfigureAwait(false));
        }

        return new PhaseResult(workload, PhaseKind.ReferenceDesign, outcomes, clock.Wall, clock.CpuBusy);
    }

    private async Task<RequestOutcome> CallAsync(Workload workload, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        string? id = null;
        try
        {
            id = (await docker.Containers.CreateContainerAsync(Parameters(), cancellationToken).ConfigureAwait(false)).ID;
            await docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            // The code travels as an argument of printf (no stdin to close); "$1" keeps it verbatim.
            var write = await ExecAsync(id, ["sh", "-c", $"printf '%s' \"$1\" > {ScriptPath}", "sh", workload.Script], cancellationToken).ConfigureAwait(false);
            if (write.ExitCode != 0)
            {
                return new RequestOutcome(stopwatch.Elapsed, $"writing the code: exit code {write.ExitCode}");
            }

            var run = await ExecAsync(id, ["python3", ScriptPath], cancellationToken).ConfigureAwait(false);
            var files = await ExecAsync(id, ["find", "/workspace", "-type", "f"], cancellationToken).ConfigureAwait(false);
            var latency = stopwatch.Elapsed;
            return new RequestOutcome(latency, run.ExitCode != 0 ? $"exit code {run.ExitCode}"
                : !workload.IsExpectedStdout(run.Stdout) ? "unexpected stdout"
                : files.ExitCode != 0 ? $"listing files: exit code {files.ExitCode}"
                : null);
        }
        catch (DockerApiException ex)
        {
            return new RequestOutcome(stopwatch.Elapsed, $"engine: {ex.StatusCode}");
        }
        finally
        {
            if (id is not null)
            {
                // Not cancellable: a cancelled run must still remove what it created.
                await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one command in the container as its default user and working directory; stdout and the exit code (-1 if unknown).</summary>
    private async Task<(int ExitCode, string Stdout)> ExecAsync(string id, IList<string> command, CancellationToken cancellationToken)
    {
        var exec = await docker.Exec.CreateContainerExecAsync(
            id, new ContainerExecCreateParameters { AttachStdout = true, AttachStderr = true, Cmd = command }, cancellationToken).ConfigureAwait(false);
        string stdout;
        using (var stream = await docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), cancellationToken).ConfigureAwait(false))
        {
            (stdout, _) = await stream.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        return (await ExitCodeAsync(exec.ID, cancellationToken).ConfigureAwait(false), stdout);
    }

    // The output's end can reach us a moment before the engine records the exit: poll it with a deadline.
    private async Task<int> ExitCodeAsync(string execId, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var inspected = await docker.Exec.InspectContainerExecAsync(execId, cancellationToken).ConfigureAwait(false);
            if (!inspected.Running)
            {
                return inspected.ExitCode is { } code ? (int)code : -1;
            }

            if (deadline.Elapsed >= ExitCodeWait)
            {
                return -1;
            }

            await Task.Delay(ExitCodePoll, cancellationToken).ConfigureAwait(false);
        }
    }

    private CreateContainerParameters Parameters() => new()
    {
        Image = executorImage,
        Cmd = ["sleep", "infinity"],
        NetworkDisabled = true,
        Labels = BenchLabels.OfReferenceRun(runId),
        HostConfig = new HostConfig
        {
            NetworkMode = "none",
            Memory = MemoryLimitBytes,
            MemorySwap = MemoryLimitBytes,
            // Generous to the reference: no log file to write (the engine reference above does the same).
            LogConfig = new LogConfig { Type = "none" },
        },
    };
}
