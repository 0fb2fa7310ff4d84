using System.Text;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// A container run once to its end for what it prints (the image probe, the package builder): its output
/// is hostile and bounded (the last <c>maxBytes</c> of each stream are kept), its deadline enforced by a kill,
/// and it is removed afterwards whatever happened.
/// </summary>
internal static class OneOffContainer
{
    /// <summary>What the container printed and how it ended.</summary>
    public sealed record Outcome(long? ExitCode, string Stdout, string Stderr, bool TimedOut);

    /// <summary>Lines of a failure's output a client is shown: the last ones, where pip and Python say what went wrong.</summary>
    private const int FailureLines = 15;

    /// <summary>The last non-empty lines of <paramref name="text"/> (a failed container's output) for an error message.</summary>
    public static string LastLines(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).TakeLast(FailureLines));

    /// <summary>
    /// A sandbox-like container (the sandbox's restrictions and user, <paramref name="shape"/>'s limits and mount)
    /// that runs <paramref name="command"/> with no stdin: what a one-off container starts from.
    /// </summary>
    public static CreateContainerParameters Spec(SandboxOptions options, SandboxShape shape, string label, params string[] command)
    {
        var parameters = SandboxContainerSpec.Build(options, shape, label);
        parameters.AttachStdin = false;
        parameters.OpenStdin = false;
        parameters.StdinOnce = false;
        parameters.Entrypoint = command;
        parameters.Cmd = [];
        return parameters;
    }

    public static async Task<Outcome> RunAsync(
        ContainerOperations containers, CreateContainerParameters parameters, string what, TimeSpan deadline, int maxBytes,
        CancellationToken cancellationToken)
    {
        var (id, stream) = await containers.CreateAttachStartAsync(parameters, what, cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(deadline);
            var stdout = new Tail(maxBytes);
            var stderr = new Tail(maxBytes);
            var buffer = new byte[64 * 1024];
            var timedOut = false;
            try
            {
                while (true)
                {
                    var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, timeout.Token).ConfigureAwait(false);
                    if (read.EOF)
                    {
                        break;
                    }

                    (read.Target == global::Docker.DotNet.MultiplexedStream.TargetStream.StandardError ? stderr : stdout)
                        .Append(buffer.AsSpan(0, read.Count));
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                await containers.KillAsync(id, stream).ConfigureAwait(false);
            }

            await containers.WaitForExitAsync(id, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            var state = await containers.InspectStateAsync(id).ConfigureAwait(false);
            return new Outcome(timedOut ? null : state?.ExitCode, stdout.ToText(), stderr.ToText(), timedOut);
        }
        finally
        {
            stream.Dispose();
            await containers.RemoveAsync(id).ConfigureAwait(false);
        }
    }

    /// <summary>The last bytes of a stream, at most a bound.</summary>
    private sealed class Tail(int maxBytes)
    {
        private readonly List<byte> _bytes = [];

        public void Append(ReadOnlySpan<byte> chunk)
        {
            _bytes.AddRange(chunk);
            if (_bytes.Count > maxBytes)
            {
                _bytes.RemoveRange(0, _bytes.Count - maxBytes);
            }
        }

        public string ToText() => Encoding.UTF8.GetString([.. _bytes]);
    }
}
