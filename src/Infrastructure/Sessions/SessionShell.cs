using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Sessions;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Sessions;

/// <summary>
/// Shell commands in a session's sandbox: <c>docker exec</c> of <c>sh -c</c> as the sandbox user in
/// /workspace, with no stdin. The deadline is enforced twice: inside, <c>timeout -s KILL</c> kills the
/// command's process group; outside, the service stops waiting shortly after, whatever the command
/// did to escape it. Output is capped while reading, like an execution's.
/// </summary>
internal static class SessionShell
{
    /// <summary>SIGKILL, as the exit status of a process it killed (128 + 9).</summary>
    private const int KilledExitCode = 137;

    private const int ReadBufferBytes = 64 * 1024;

    // The inner timeout fires first; this covers the exec's start and the engine's stream close.
    private static readonly TimeSpan OuterGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ExitCodeWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ExitCodePoll = TimeSpan.FromMilliseconds(20);

    /// <exception cref="SessionLostException">The session's container is gone.</exception>
    public static async Task<ShellResult> RunAsync(
        IDockerClient docker, string containerId, ShellCommand command, CancellationToken cancellationToken)
    {
        var seconds = command.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        string execId;
        MultiplexedStream stream;
        try
        {
            var exec = await docker.Exec.CreateContainerExecAsync(containerId, new ContainerExecCreateParameters
            {
                User = SandboxContainerSpec.SandboxUser,
                WorkingDir = "/workspace",
                AttachStdin = false,
                AttachStdout = true,
                AttachStderr = true,
                TTY = false,
                Cmd = ["timeout", "-s", "KILL", seconds, "sh", "-c", command.Cmd],
            }, cancellationToken).ConfigureAwait(false);
            execId = exec.ID;
            stream = await docker.Exec.StartContainerExecAsync(execId, new ContainerExecStartParameters(), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockerContainerNotFoundException or DockerApiException)
        {
            // Not found, or 409 "is not running": the session's sandbox has ended.
            throw new SessionLostException($"the session's sandbox cannot run commands: {ex.Message}", ex);
        }

        var clock = Stopwatch.StartNew();
        var stdout = new OutputCapture(command.MaxOutputBytes);
        var stderr = new OutputCapture(command.MaxOutputBytes);
        bool finished;
        using (stream)
        {
            finished = await RelayAsync(stream, stdout, stderr, command.Timeout + OuterGrace, cancellationToken).ConfigureAwait(false);
        }

        clock.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        var exitCode = finished ? await ExitCodeAsync(docker, execId).ConfigureAwait(false) : null;
        // The inner timeout's SIGKILL (or the outer deadline): the command ran out of time.
        var timedOut = !finished || (exitCode == KilledExitCode && clock.Elapsed >= command.Timeout);
        return new ShellResult(
            stdout.ToText(), stderr.ToText(), timedOut ? null : exitCode, timedOut, clock.Elapsed,
            stdout.Truncated, stderr.Truncated);
    }

    /// <summary>Reads both streams to their end; false when the deadline (or the caller) stopped it first.</summary>
    private static async Task<bool> RelayAsync(
        MultiplexedStream stream, OutputCapture stdout, OutputCapture stderr, TimeSpan limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReadBufferBytes];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        var stopped = Task.Delay(Timeout.Infinite, deadline.Token);
        try
        {
            return await RelayUntilEndAsync(stream, stdout, stderr, buffer, stopped, deadline).ConfigureAwait(false);
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task<bool> RelayUntilEndAsync(
        MultiplexedStream stream, OutputCapture stdout, OutputCapture stderr, byte[] buffer, Task stopped,
        CancellationTokenSource deadline)
    {
        while (true)
        {
            // The read may not observe cancellation: the deadline wins the race, and disposing the stream ends the read.
            var read = stream.ReadOutputAsync(buffer, 0, buffer.Length, deadline.Token);
            if (await Task.WhenAny(read, stopped).ConfigureAwait(false) != read)
            {
                _ = read.ContinueWith(t => t.Exception, TaskScheduler.Default);
                return false;
            }

            MultiplexedStream.ReadResult result;
            try
            {
                result = await read.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                return !deadline.IsCancellationRequested;
            }

            if (result.EOF)
            {
                return true;
            }

            var capture = result.Target == MultiplexedStream.TargetStream.StandardError ? stderr : stdout;
            capture.Append(buffer.AsSpan(0, result.Count));
        }
    }

    /// <summary>The exec's exit code once the engine has it; null if it does not come in time.</summary>
    private static async Task<int?> ExitCodeAsync(IDockerClient docker, string execId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ContainerExecInspectResponse inspected;
            try
            {
                inspected = await docker.Exec.InspectContainerExecAsync(execId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (DockerApiException)
            {
                return null;
            }

            if (!inspected.Running)
            {
                return inspected.ExitCode is { } code ? (int)code : null;
            }

            if (clock.Elapsed >= ExitCodeWait)
            {
                return null;
            }

            await Task.Delay(ExitCodePoll).ConfigureAwait(false);
        }
    }
}
