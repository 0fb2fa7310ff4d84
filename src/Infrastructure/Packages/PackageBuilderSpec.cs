using System.Globalization;
using CodeInterpreter.Domain.Packages;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// The container that builds a package environment: a venv over the image's own packages, installed by pip
/// as the sandbox user under the sandbox's restrictions, into the environment's volume.
/// </summary>
internal static class PackageBuilderSpec
{
    // Run as the sandbox user in the builder: a venv over the image's packages (so what the image has is not
    // installed again), the image's distributions pinned as constraints (so a conflicting pin fails in pip's
    // resolver instead of shadowing them), then pip with the source's arguments ("$@").
    private const string BuildScript = """
        set -eu
        printf '%s\n' "$REQUIREMENTS" > /tmp/requirements.txt
        python3 - > /tmp/constraints.txt <<'PY'
        import importlib.metadata as m
        from packaging.version import Version, InvalidVersion
        seen = set()
        for d in m.distributions():
            name = d.metadata['Name']
            if not name or name.lower() in seen:
                continue
            seen.add(name.lower())
            try:
                Version(d.version)
            except InvalidVersion:
                continue
            print(f'{name}=={d.version}')
        PY
        python3 -m venv --without-pip --system-site-packages /opt/packages
        /opt/packages/bin/python -m pip install --no-input --disable-pip-version-check --no-cache-dir \
          --no-warn-script-location -c /tmp/constraints.txt -r /tmp/requirements.txt "$@"
        touch /opt/packages/.complete
        echo "size-kb $(du -sk /opt/packages | cut -f1)"
        """;

    /// <summary>
    /// The builder of one environment: the sandbox's restrictions, <paramref name="volume"/> mounted where
    /// sandboxes will find it, the wheelhouse read-only or the build network (the index mode), pip's source
    /// arguments from <paramref name="options"/>.
    /// </summary>
    public static CreateContainerParameters Build(
        SandboxOptions sandbox, PackageOptions options, string image, string volume, RequirementSet requirements)
    {
        var shape = new SandboxShape(options.BuildMemoryMb, Preload: "", Image: image);
        var parameters = OneOffContainer.Spec(sandbox, shape, "package-build", "/bin/sh", "-c", BuildScript, "sh");
        parameters.WorkingDir = "/tmp";
        parameters.Cmd = [.. PipSourceArguments(options)];
        parameters.Env = ["HOME=/tmp", "REQUIREMENTS=" + requirements, "PYTHONDONTWRITEBYTECODE="];
        var host = parameters.HostConfig!;
        host.Tmpfs!["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={Math.Max(64, options.BuildMemoryMb / 2)}m,uid=10001,gid=10001,mode=1777");
        // A wheelhouse needs no network at all; an index only this network, which reaches nothing else.
        var offline = options.IndexUrl is not { Length: > 0 };
        parameters.NetworkDisabled = offline;
        host.NetworkMode = offline ? "none" : PackageBuildNetwork.Name;
        host.Mounts =
        [
            new Mount { Type = "volume", Source = volume, Target = SandboxContainerSpec.PackagesPath },
            .. options.Wheelhouse is { Length: > 0 } wheelhouse
                ? [new Mount { Type = "bind", Source = wheelhouse, Target = "/wheelhouse", ReadOnly = true }]
                : Array.Empty<Mount>(),
        ];
        // pip writes files much larger than a workspace's: the file size limit is the volume's own.
        host.Ulimits = [.. host.Ulimits.Where(u => u.Name != "fsize")];
        host.PidsLimit = Math.Max(host.PidsLimit ?? 0, 256);
        return parameters;
    }

    private static IEnumerable<string> PipSourceArguments(PackageOptions options)
    {
        if (options.Wheelhouse is { Length: > 0 })
        {
            yield return "--no-index";
            yield return "--find-links";
            yield return "/wheelhouse";
        }
        else
        {
            yield return "--index-url";
            yield return options.IndexUrl!;
            if (options.TrustedHost is { Length: > 0 } trusted)
            {
                yield return "--trusted-host";
                yield return trusted;
            }
        }

        if (options.AllowSdist)
        {
            // A source build uses the image's setuptools: build isolation would fetch its own.
            yield return "--no-build-isolation";
        }
        else
        {
            yield return "--only-binary";
            yield return ":all:";
        }
    }
}
