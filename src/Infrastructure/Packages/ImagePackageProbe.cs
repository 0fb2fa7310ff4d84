using System.Collections.Concurrent;
using System.Text.Json;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Packages;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// Lists what an executor image already has installed (distributions with their versions, importable modules,
/// the standard library) by running a probe in a sandbox-like container of it, so requirements the image
/// satisfies need no environment. The answer is kept per image id.
/// </summary>
internal sealed class ImagePackageProbe(ContainerOperations containers, IOptions<SandboxOptions> sandboxOptions)
{
    private const int MaxProbeBytes = 4 * 1024 * 1024;

    // Everything the probe prints is hostile: it is parsed as JSON and every entry checked.
    private const string ProbeScript = """
        import importlib.metadata as m, json, os, platform, pkgutil, sys
        def full(v):
            text = '{0.major}.{0.minor}.{0.micro}'.format(v)
            return text if v.releaselevel == 'final' else text + v.releaselevel[0] + str(v.serial)
        markers = {
            'os_name': os.name, 'sys_platform': sys.platform, 'platform_machine': platform.machine(),
            'platform_python_implementation': platform.python_implementation(), 'platform_release': platform.release(),
            'platform_system': platform.system(), 'platform_version': platform.version(),
            'python_version': '.'.join(platform.python_version_tuple()[:2]), 'python_full_version': platform.python_version(),
            'implementation_name': sys.implementation.name, 'implementation_version': full(sys.implementation.version),
        }
        dists = {}
        for d in m.distributions():
            name = d.metadata['Name']
            if name and name not in dists:
                dists[name] = d.version
        modules = sorted({x.name for x in pkgutil.iter_modules()} | set(sys.builtin_module_names))
        print(json.dumps({'distributions': dists, 'modules': modules, 'stdlib': sorted(sys.stdlib_module_names), 'markers': markers}))
        """;

    private readonly ConcurrentDictionary<string, Lazy<Task<InstalledPackages>>> _probes = new(StringComparer.Ordinal);

    /// <summary>
    /// What <paramref name="image"/> (default: the executor image) has installed, probed once per image id;
    /// a failed probe is not kept, so the next call probes again.
    /// </summary>
    public async Task<InstalledPackages> InstalledAsync(string? image, CancellationToken cancellationToken)
    {
        var reference = image ?? sandboxOptions.Value.ExecutorImage;
        var imageId = await ImageIdAsync(reference, cancellationToken).ConfigureAwait(false);
        var probe = _probes.GetOrAdd(imageId, _ => new Lazy<Task<InstalledPackages>>(() => ProbeAsync(reference)));
        try
        {
            return await probe.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (probe.Value.IsFaulted)
        {
            _probes.TryRemove(new KeyValuePair<string, Lazy<Task<InstalledPackages>>>(imageId, probe));
            throw;
        }
    }

    /// <summary>The id of <paramref name="image"/> on the engine (503 when the image is missing or the engine unreachable).</summary>
    public async Task<string> ImageIdAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            return (await containers.Client.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false)).ID;
        }
        catch (DockerImageNotFoundException ex)
        {
            throw new ServiceUnavailableException($"The executor image '{image}' is missing.", TimeSpan.FromSeconds(5), ex);
        }
        catch (Exception ex) when (ContainerOperations.IsEngineUnreachable(ex))
        {
            throw ContainerOperations.EngineUnavailable(ex);
        }
    }

    private async Task<InstalledPackages> ProbeAsync(string image)
    {
        var parameters = OneOffContainer.Spec(
            sandboxOptions.Value, new SandboxShape(256, Preload: "", Image: image), "package-probe", "python3", "-c", ProbeScript);
        var outcome = await OneOffContainer.RunAsync(
            containers, parameters, "package probe", TimeSpan.FromSeconds(60), MaxProbeBytes, CancellationToken.None).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new SandboxFailedException($"Could not list the packages of the executor image '{image}': {OneOffContainer.LastLines(outcome.Stderr)}");
        }

        return ParseProbe(outcome.Stdout, image);
    }

    private static InstalledPackages ParseProbe(string json, string image)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var distributions = new Dictionary<string, PackageVersion>(StringComparer.Ordinal);
            foreach (var dist in root.GetProperty("distributions").EnumerateObject())
            {
                if (dist.Value.GetString() is { } text && PackageVersion.TryParse(text, out var version))
                {
                    distributions.TryAdd(Requirement.Canonical(dist.Name), version);
                }
            }

            return new InstalledPackages(
                distributions,
                root.GetProperty("modules").EnumerateArray().Select(m => m.GetString() ?? "").ToHashSet(StringComparer.Ordinal),
                root.GetProperty("stdlib").EnumerateArray().Select(m => m.GetString() ?? "").ToHashSet(StringComparer.Ordinal),
                root.GetProperty("markers").EnumerateObject()
                    .Where(v => EnvironmentMarker.Variables.Contains(v.Name) && v.Value.ValueKind == JsonValueKind.String)
                    .ToDictionary(v => v.Name, v => v.Value.GetString()!, StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new SandboxFailedException($"The package list of the executor image '{image}' could not be read: {ex.Message}", ex);
        }
    }
}
