using System.Globalization;
using CodeInterpreter.Domain.Packages;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// The environment volumes an earlier process of this service instance left on the engine (a restart, a crash):
/// each whole one is taken back into the cache (its requirements read from its labels, its completeness and size
/// from inside it), so it is neither built again nor left outside ENV_CACHE_MB; one whose build never finished, or
/// that carries no requirements, is removed.
/// </summary>
internal sealed partial class LeftoverEnvironments(
    ContainerOperations containers, IOptions<SandboxOptions> sandboxOptions, ILogger<LeftoverEnvironments> logger)
{
    /// <summary>Label of an environment volume: its normalised requirement lines (one per line).</summary>
    public const string RequirementsLabel = "code-interpreter.environment.requirements";

    // What a finished build leaves: the .complete mark (written last) and a size. Read-only, as sandboxes see it.
    private const string CheckScript = "test -f /opt/packages/.complete && du -sk /opt/packages | cut -f1";

    /// <summary>An environment found whole, to be cached again.</summary>
    public sealed record Found(string Hash, string Volume, RequirementSet Requirements, long SizeBytes, DateTimeOffset CreatedAt);

    /// <summary>A whole environment of one set on this engine, built by the named service instance.</summary>
    public sealed record Built(string Volume, string Instance, long SizeBytes, DateTimeOffset CreatedAt);

    /// <summary>A whole volume of the environment <paramref name="hash"/> on this engine, of any instance (this one's first); null when none.</summary>
    public async Task<Built?> FindBuiltAsync(string hash, CancellationToken cancellationToken)
    {
        var listed = await containers.Client.Volumes.ListAsync(
            new VolumesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"{DockerPackageEnvironments.EnvironmentLabel}={hash}"] = true },
                },
            },
            cancellationToken).ConfigureAwait(false);
        var own = sandboxOptions.Value.Instance;
        foreach (var volume in (listed.Volumes ?? []).OrderBy(v => InstanceOf(v) == own ? 0 : 1))
        {
            if (await SizeIfWholeAsync(volume.Name, cancellationToken).ConfigureAwait(false) is { } size)
            {
                return new Built(volume.Name, InstanceOf(volume), size, CreatedAt(volume));
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="volume"/> is still the environment volume it was (not removed, not made again empty).</summary>
    public async Task<bool> IsIntactAsync(string volume, CancellationToken cancellationToken)
    {
        try
        {
            var inspected = await containers.Client.Volumes.InspectAsync(volume, cancellationToken).ConfigureAwait(false);
            return inspected.Labels?.ContainsKey(DockerPackageEnvironments.EnvironmentLabel) == true;
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static string InstanceOf(VolumeResponse volume) =>
        volume.Labels is { } labels && labels.TryGetValue(SandboxLabels.Instance, out var instance) ? instance : "";

    private static DateTimeOffset CreatedAt(VolumeResponse volume) =>
        DateTimeOffset.TryParse(volume.CreatedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.UtcNow;

    /// <summary>
    /// Lists this instance's environment volumes, keeps the whole ones, removes the rest (those in use by a container
    /// stay and are not kept: nothing of this process uses them, so an earlier process's leftover does).
    /// </summary>
    public async Task<IReadOnlyList<Found>> FindAsync(Func<string, Task<bool>> remove, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remove);
        var listed = await containers.Client.Volumes.ListAsync(
            new VolumesListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool>
                    {
                        [DockerPackageEnvironments.EnvironmentLabel] = true,
                        [$"{SandboxLabels.Instance}={sandboxOptions.Value.Instance}"] = true,
                    },
                },
            },
            cancellationToken).ConfigureAwait(false);

        var found = new List<Found>();
        foreach (var volume in listed.Volumes ?? [])
        {
            var labels = volume.Labels ?? new Dictionary<string, string>();
            var hash = labels.TryGetValue(DockerPackageEnvironments.EnvironmentLabel, out var label) ? label : "";
            var lines = labels.TryGetValue(RequirementsLabel, out var text) ? text : null;
            if (lines is not null && RequirementSet.TryParse([lines], out var requirements, out _)
                && hash.Length == 64 && hash.All(char.IsAsciiHexDigitLower)
                && await SizeIfWholeAsync(volume.Name, cancellationToken).ConfigureAwait(false) is { } size)
            {
                found.Add(new Found(hash, volume.Name, requirements, size, CreatedAt(volume)));
                LogAdopted(hash, size / 1024);
            }
            else
            {
                var removed = await remove(volume.Name).ConfigureAwait(false);
                LogDiscarded(volume.Name, removed);
            }
        }

        return found;
    }

    private async Task<long?> SizeIfWholeAsync(string volume, CancellationToken cancellationToken)
    {
        var parameters = OneOffContainer.Spec(
            sandboxOptions.Value, new SandboxShape(64, Preload: "", PackageEnvironment: volume), "package-check", "/bin/sh", "-c", CheckScript);
        var outcome = await OneOffContainer.RunAsync(
            containers, parameters, "package environment check", TimeSpan.FromSeconds(60), 4096, cancellationToken).ConfigureAwait(false);
        return outcome.ExitCode == 0 && long.TryParse(outcome.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb)
            ? kb * 1024
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Package environment {Hash} left by an earlier process taken back into the cache ({SizeKb} KB)")]
    private partial void LogAdopted(string hash, long sizeKb);

    [LoggerMessage(Level = LogLevel.Information, Message = "Package environment volume {Volume} left by an earlier process was not whole or not readable; removed: {Removed}")]
    private partial void LogDiscarded(string volume, bool removed);
}
