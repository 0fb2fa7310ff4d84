using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Infrastructure.Options;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Runs each request in a new container that is destroyed afterwards (the cold path): create,
/// attach, start, send the request frame, relay frames under the service's own deadline, remove.
/// </summary>
internal sealed partial class DockerSandboxProvider(
    IDockerClient docker,
    EngineResilience resilience,
    IOptions<SandboxOptions> options,
    ILogger<DockerSandboxProvider> logger) : ISandboxProvider
{
    private const int ReadBufferBytes = (64 * 1024) + 5;
    private const int MaxRunnerDiagnosticsBytes = 16 * 1024;
    private const int MaxErrorTypeChars = 200;
    private const int MaxErrorMessageChars = 4000;
    private const int SigKill = 9;
    private static readonly TimeSpan EngineRetryAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    public async Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var containerId = await CreateAsync(settings, request, cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunInContainerAsync(containerId, settings, request, cancellationToken).ConfigureAwait(false);
        }
        catch (RunnerProtocolException ex)
        {
            LogProtocolViolation(request.ExecutionId, ex.Message);
            throw new SandboxFailedException($"The sandbox broke the runner protocol: {ex.Message}", ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw new ServiceUnavailableException("The Docker engine is unavailable; try again shortly.", EngineRetryAfter, ex);
        }
        finally
        {
            await RemoveAsync(containerId, request.ExecutionId).ConfigureAwait(false);
        }
    }

    private async Task<string> CreateAsync(SandboxOptions settings, SandboxRequest request, CancellationToken cancellationToken)
    {
        var parameters = SandboxContainerSpec.Build(settings, request);
        try
        {
            var created = await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Containers.CreateContainerAsync(parameters, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return created.ID;
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new ServiceUnavailableException($"The executor image '{settings.ExecutorImage}' is missing.", EngineRetryAfter, ex);
        }
        catch (Exception ex) when (IsEngineUnreachable(ex))
        {
            throw new ServiceUnavailableException("The Docker engine is unavailable; try again shortly.", EngineRetryAfter, ex);
        }
        catch (DockerApiException ex)
        {
            throw new SandboxFailedException($"The Docker engine refused to create the sandbox: {ex.ResponseBody}", ex);
        }
    }

    private async Task<ExecutionResult> RunInContainerAsync(
        string containerId, SandboxOptions settings, SandboxRequest request, CancellationToken cancellationToken)
    {
        using var stream = await docker.Containers.AttachContainerAsync(
            containerId,
            new ContainerAttachParameters { Stream = true, Stdin = true, Stdout = true, Stderr = true },
            cancellationToken).ConfigureAwait(false);
        await docker.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken)
            .ConfigureAwait(false);

        var frame = ToRunnerRequest(settings, request).ToFrame();
        await stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
        stream.CloseWrite();

        var run = new SandboxRun(request.Limits.MaxOutputBytes);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The service owns the deadline: when it passes, the container is killed, which also ends
        // a read that does not observe cancellation.
        Task? kill = null;
        await using (deadline.Token.Register(() => kill = KillAsync(containerId)).ConfigureAwait(false))
        {
            deadline.CancelAfter(TimeSpan.FromSeconds(settings.BootTimeoutSec));
            await RelayFramesAsync(stream, run, request.Timeout, deadline).ConfigureAwait(false);
        }

        if (kill is not null)
        {
            await kill.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (deadline.IsCancellationRequested && run.Result is null)
        {
            if (!run.Started)
            {
                throw new SandboxFailedException(
                    $"The sandbox did not start within {settings.BootTimeoutSec} s. {run.RunnerDiagnostics}");
            }

            return run.ToTimedOutResult(request.Timeout);
        }

        return run.Result is null
            ? await ResultOfVanishedRunnerAsync(containerId, run, request.ExecutionId).ConfigureAwait(false)
            : await ResultOfRunnerAsync(containerId, run).ConfigureAwait(false);
    }

    private static async Task RelayFramesAsync(
        MultiplexedStream stream, SandboxRun run, TimeSpan timeout, CancellationTokenSource deadline)
    {
        var buffer = new byte[ReadBufferBytes];
        var reader = new RunnerFrameReader(new RunnerFrameLimits());
        var frames = new List<RunnerFrame>();
        while (run.Result is null)
        {
            MultiplexedStream.ReadResult read;
            try
            {
                read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (deadline.IsCancellationRequested && ex is OperationCanceledException or IOException)
            {
                return;
            }

            if (read.EOF)
            {
                if (!reader.AtFrameBoundary && !deadline.IsCancellationRequested)
                {
                    throw new RunnerProtocolException("the stream ended inside a frame");
                }

                return;
            }

            if (read.Target == MultiplexedStream.TargetStream.StandardError)
            {
                run.AppendRunnerDiagnostics(buffer.AsSpan(0, read.Count));
                continue;
            }

            frames.Clear();
            reader.Feed(buffer.AsSpan(0, read.Count), frames);
            foreach (var frame in frames)
            {
                run.Accept(frame, () => deadline.CancelAfter(timeout));
                if (run.Result is not null)
                {
                    break;
                }
            }
        }
    }

    private async Task<ExecutionResult> ResultOfRunnerAsync(string containerId, SandboxRun run)
    {
        var result = run.Result!;
        var oomKilled = result.OomKills > 0;
        if (!oomKilled && result.Signal == SigKill)
        {
            // The runner's cgroup reading can miss a kill it raced with; the engine's record settles it.
            var state = await InspectStateAsync(containerId).ConfigureAwait(false);
            oomKilled = state?.OOMKilled == true;
        }

        return run.ToResult(result.ExitCode, oomKilled, ToExecutionError(result.Error));
    }

    private async Task<ExecutionResult> ResultOfVanishedRunnerAsync(string containerId, SandboxRun run, string executionId)
    {
        // The runner ended without a result: killed by the OOM killer or by the code itself.
        using var wait = new CancellationTokenSource(ExitWait);
        try
        {
            await docker.Containers.WaitContainerAsync(containerId, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Still running after the grace period: inspect what there is; removal kills it.
        }

        var state = await InspectStateAsync(containerId).ConfigureAwait(false);
        LogRunnerVanished(executionId, state?.ExitCode, state?.OOMKilled, run.RunnerDiagnostics);
        var exitCode = state is null ? (int?)null : (int)state.ExitCode;
        return run.ToResult(exitCode, state?.OOMKilled == true, null);
    }

    private async Task<State?> InspectStateAsync(string containerId)
    {
        try
        {
            var inspected = await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Containers.InspectContainerAsync(containerId, ct).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
            return inspected.State;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    private async Task KillAsync(string containerId)
    {
        try
        {
            await docker.Containers.KillContainerAsync(containerId, new ContainerKillParameters { Signal = "KILL" }, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (DockerApiException ex)
        {
            // Already stopped or gone: removal below settles it either way.
            LogKillFailed(containerId, ex.StatusCode);
        }
    }

    private async Task RemoveAsync(string containerId, string executionId)
    {
        try
        {
            await resilience.Pipeline.ExecuteAsync(
                async ct => await docker.Containers.RemoveContainerAsync(
                    containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct).ConfigureAwait(false),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone.
        }
        catch (Exception ex) when (ex is DockerApiException || IsEngineUnreachable(ex))
        {
            // The orphan reaper removes it at the next start; the result is still good.
            LogRemoveFailed(ex, containerId, executionId);
        }
    }

    private static RunnerRequest ToRunnerRequest(SandboxOptions settings, SandboxRequest request) => new(
        request.Code,
        request.Stdin,
        request.LastLineInteractive,
        Argv: [],
        Env: new Dictionary<string, string>(),
        request.Limits.CpuTimeLimitSec,
        // One byte over the cap lets the service see for itself that output was cut.
        request.Limits.MaxOutputBytes + 1,
        FsizeLimitBytes: settings.WorkspaceSizeMb * 1024L * 1024L,
        settings.NofileLimit,
        Files: [],
        MaxFiles: 0,
        MaxFilesBytes: 0);

    private static ExecutionError? ToExecutionError(RunnerError? error)
    {
        if (error?.Type is null)
        {
            return null;
        }

        return new ExecutionError(
            Truncate(error.Type, MaxErrorTypeChars),
            Truncate(error.Message ?? string.Empty, MaxErrorMessageChars),
            error.Line is > 0 ? error.Line : null);
    }

    private static string Truncate(string text, int maxChars) => text.Length <= maxChars ? text : text[..maxChars];

    private static bool IsEngineUnreachable(Exception ex) =>
        ex is HttpRequestException or SocketException || ex.InnerException is SocketException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: the sandbox broke the runner protocol: {Reason}")]
    private partial void LogProtocolViolation(string executionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: the runner ended without a result (exit {ExitCode}, oom {OomKilled}). Runner stderr: {Diagnostics}")]
    private partial void LogRunnerVanished(string executionId, long? exitCode, bool? oomKilled, string diagnostics);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kill of sandbox {ContainerId} answered {Status}")]
    private partial void LogKillFailed(string containerId, System.Net.HttpStatusCode status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox {ContainerId} of execution {ExecutionId} could not be removed; the reaper will remove it at the next start")]
    private partial void LogRemoveFailed(Exception ex, string containerId, string executionId);

    /// <summary>What one sandbox has reported so far.</summary>
    private sealed class SandboxRun(long maxOutputBytes)
    {
        private readonly OutputCapture _stdout = new(maxOutputBytes);
        private readonly OutputCapture _stderr = new(maxOutputBytes);
        private readonly OutputCapture _diagnostics = new(MaxRunnerDiagnosticsBytes);
        private readonly Stopwatch _codeClock = new();

        public bool Started { get; private set; }

        public RunnerResult? Result { get; private set; }

        public string RunnerDiagnostics => _diagnostics.ToText();

        public void AppendRunnerDiagnostics(ReadOnlySpan<byte> bytes) => _diagnostics.Append(bytes);

        public void Accept(RunnerFrame frame, Action onStarted)
        {
            switch (frame.Type)
            {
                case RunnerFrameType.Ready:
                    break;
                case RunnerFrameType.Started when !Started:
                    Started = true;
                    _codeClock.Start();
                    onStarted();
                    break;
                case RunnerFrameType.Stdout when Started:
                    _stdout.Append(frame.Payload);
                    break;
                case RunnerFrameType.Stderr when Started:
                    _stderr.Append(frame.Payload);
                    break;
                case RunnerFrameType.Result when Started:
                    _codeClock.Stop();
                    Result = Parse(frame.Payload, RunnerJsonContext.Default.RunnerResult)
                        ?? throw new RunnerProtocolException("the result frame is null");
                    break;
                case RunnerFrameType.RunnerError:
                    var failure = Parse(frame.Payload, RunnerJsonContext.Default.RunnerFailure);
                    throw new SandboxFailedException($"The sandbox runner failed: {Truncate(failure?.Message ?? "no message", MaxErrorMessageChars)}");
                default:
                    throw new RunnerProtocolException($"frame '{(char)frame.Type}' out of order");
            }
        }

        public ExecutionResult ToResult(int? exitCode, bool oomKilled, ExecutionError? error) => new(
            _stdout.ToText(), _stderr.ToText(), exitCode, TimedOut: false, _codeClock.Elapsed,
            _stdout.Truncated, _stderr.Truncated, oomKilled, error);

        public ExecutionResult ToTimedOutResult(TimeSpan timeout) => new(
            _stdout.ToText(), _stderr.ToText(), ExitCode: null, TimedOut: true,
            _codeClock.IsRunning ? _codeClock.Elapsed : timeout,
            _stdout.Truncated, _stderr.Truncated, OomKilled: false, Error: null);

        private static T? Parse<T>(byte[] payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            try
            {
                return JsonSerializer.Deserialize(payload, type);
            }
            catch (JsonException ex)
            {
                throw new RunnerProtocolException($"a frame holds invalid JSON: {ex.Message}");
            }
        }
    }
}
