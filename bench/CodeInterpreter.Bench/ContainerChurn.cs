using System.Collections.Concurrent;
using System.Diagnostics;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Bench;

/// <summary>
/// The engine reference: how fast this engine creates, starts, waits for and removes a trivial
/// container of the executor image. A container-per-request service cannot beat this rate, so the
/// service's throughput is judged against it.
/// </summary>
internal sealed class ContainerChurn(IDockerClient docker, string executorImage, string runId)
{
    public async Task<ChurnResult> MeasureAsync(int containers, int parallelism, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentBag<TimeSpan>();
        var failures = 0;
        var clock = new PhaseClock();
        await Concurrently.RunAsync(containers, parallelism, async _ =>
        {
            var cycle = Stopwatch.StartNew();
            if (await CycleAsync(cancellationToken).ConfigureAwait(false))
            {
                latencies.Add(cycle.Elapsed);
            }
            else
            {
                Interlocked.Increment(ref failures);
            }
        }).ConfigureAwait(false);
        return new ChurnResult(containers, parallelism, clock.Wall, LatencySummary.From(latencies), failures, clock.CpuBusy);
    }

    private async Task<bool> CycleAsync(CancellationToken cancellationToken)
    {
        string? id = null;
        try
        {
            id = (await docker.Containers.CreateContainerAsync(Parameters(), cancellationToken).ConfigureAwait(false)).ID;
            await docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            var exit = await docker.Containers.WaitContainerAsync(id, cancellationToken).ConfigureAwait(false);
            return exit.StatusCode == 0;
        }
        catch (DockerApiException ex)
        {
            await Console.Error.WriteLineAsync($"[bench] reference container failed: {ex.StatusCode} {ex.ResponseBody}").ConfigureAwait(false);
            return false;
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

    // Like a sandbox where it costs engine time (no network, no log file), minus what only the runner needs.
    private CreateContainerParameters Parameters() => new()
    {
        Image = executorImage,
        Cmd = ["true"],
        User = "10001:10001",
        NetworkDisabled = true,
        Labels = BenchLabels.OfReferenceRun(runId),
        HostConfig = new HostConfig
        {
            NetworkMode = "none",
            LogConfig = new LogConfig { Type = "none" },
            AutoRemove = false,
        },
    };
}
