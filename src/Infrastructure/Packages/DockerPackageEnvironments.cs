using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Packages;
using CodeInterpreter.Infrastructure.Docker;
using Docker.DotNet.Models;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// Package environments as Docker volumes, one per requirement set and executor image, each built once by a
/// locked-down builder container (the sandbox's settings; the network only an index mode needs) and then
/// mounted read-only by the sandboxes that need it. Builds of one set share one flight; a failed build leaves
/// nothing behind; the least recently used environments not in use go when the cache outgrows ENV_CACHE_MB.
/// </summary>
internal sealed partial class DockerPackageEnvironments(
    ContainerOperations containers,
    ImagePackageProbe probe,
    LeftoverEnvironments leftovers,
    EnvironmentBuildLock buildLock,
    PackageBuildNetwork buildNetwork,
    IOptions<PackageOptions> packageOptions,
    IOptions<SandboxOptions> sandboxOptions,
    TimeProvider clock,
    ILogger<DockerPackageEnvironments> logger) : IPackageEnvironments, IDisposable
{
    /// <summary>Label of every environment volume: its hash.</summary>
    public const string EnvironmentLabel = SandboxLabels.Environment;

    private const string VolumePrefix = "code-interpreter-env-";
    private const int MaxBuildOutputBytes = 64 * 1024;

    /// <summary>Builds of different sets running at once; more wait their turn (each is a container doing pip's work).</summary>
    private const int ConcurrentBuilds = 2;

    private readonly Dictionary<string, CachedEnvironment> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<CachedEnvironment>> _building = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly WheelhouseModules _wheelhouseModules = new();
    private readonly SemaphoreSlim _buildSlots = new(ConcurrentBuilds, ConcurrentBuilds);
    private long _builds;
    private Task _adoption = Task.CompletedTask;

    /// <summary>Builds started since the service started (successful or not).</summary>
    public long Builds => Interlocked.Read(ref _builds);

    public string? Source => packageOptions.Value.Describe();

    /// <summary>Whether taking back leftovers has begun: from then on every acquisition waits for it.</summary>
    public bool AdoptionBegun { get; private set; }

    public void Dispose() => _buildSlots.Dispose();

    public Task<InstalledPackages> InstalledAsync(string? image, CancellationToken cancellationToken) =>
        probe.InstalledAsync(image, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>?> SourceModulesAsync(CancellationToken cancellationToken) =>
        Task.FromResult(packageOptions.Value.Wheelhouse is { Length: > 0 } wheelhouse ? _wheelhouseModules.Read(wheelhouse) : null);

    /// <summary>
    /// Takes back what an earlier process of this instance left (see <see cref="LeftoverEnvironments"/>), then evicts
    /// down to ENV_CACHE_MB. Requests for environments wait for it, so none builds what is being taken back.
    /// </summary>
    public Task AdoptLeftoversAsync(CancellationToken cancellationToken)
    {
        var adoption = AdoptAsync(cancellationToken);
        _adoption = adoption;
        AdoptionBegun = true;
        return adoption;
    }

    private async Task AdoptAsync(CancellationToken cancellationToken)
    {
        var found = await leftovers.FindAsync(containers.TryRemoveVolumeAsync, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var environment in found.Where(f => !_entries.ContainsKey(f.Hash) && !_building.ContainsKey(f.Hash)))
            {
                _entries[environment.Hash] = new CachedEnvironment(
                    environment.Hash, environment.Volume, environment.Requirements, environment.SizeBytes, environment.CreatedAt)
                {
                    LastUsedAt = environment.CreatedAt,
                };
            }
        }

        await EvictAsync(keep: "").ConfigureAwait(false);
    }

    // A failed adoption does not stop requests: what it did not take back is built again when asked for.
    private async Task AdoptedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _adoption.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async Task<PackageEnvironmentLease> AcquireAsync(RequirementSet requirements, string? image, CancellationToken cancellationToken)
    {
        if (!packageOptions.Value.HasSource)
        {
            throw new InvalidOperationException("No package source is configured: nothing can be built.");
        }

        await AdoptedAsync(cancellationToken).ConfigureAwait(false);

        var reference = image ?? sandboxOptions.Value.ExecutorImage;
        var imageId = await probe.ImageIdAsync(reference, cancellationToken).ConfigureAwait(false);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(imageId + "\n" + requirements)));
        // Another replica's environment may have been evicted by it since: checked, and forgotten when gone.
        if (Cached(hash) is { Borrowed: true } borrowed && !await leftovers.IsIntactAsync(borrowed.Volume, cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (_entries.GetValueOrDefault(hash) == borrowed)
                {
                    _entries.Remove(hash);
                }
            }
        }

        Task<CachedEnvironment> build;
        lock (_gate)
        {
            if (_entries.TryGetValue(hash, out var cached))
            {
                return Lease(cached);
            }

            if (!_building.TryGetValue(hash, out build!))
            {
                // Not the caller's token: others may wait for this build, and a build half done is worth nothing.
                build = BuildAsync(hash, requirements, reference);
                _building[hash] = build;
            }
        }

        var entry = await build.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            return Lease(entry);
        }
    }

    public async Task<IReadOnlyList<PackageEnvironmentInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await AdoptedAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            IReadOnlyList<PackageEnvironmentInfo> list =
            [
                .. _entries.Values.OrderByDescending(e => e.LastUsedAt)
                    .Select(e => new PackageEnvironmentInfo(e.Hash, e.Requirements.Lines, e.SizeBytes, e.CreatedAt, e.LastUsedAt, e.InUse > 0)),
            ];
            return list;
        }
    }

    public async Task<bool> DeleteAsync(string hash, CancellationToken cancellationToken)
    {
        await AdoptedAsync(cancellationToken).ConfigureAwait(false);
        CachedEnvironment? entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(hash, out entry))
            {
                return false;
            }

            if (entry.InUse > 0)
            {
                throw new ConflictException($"environment {hash} is in use by a running sandbox; delete it when that has ended");
            }

            _entries.Remove(hash);
        }

        if (!entry.Borrowed && !await containers.TryRemoveVolumeAsync(entry.Volume).ConfigureAwait(false))
        {
            lock (_gate)
            {
                _entries.TryAdd(hash, entry);
            }

            throw new ConflictException($"environment {hash} is in use by a sandbox or session; delete it when that has ended");
        }

        return true;
    }

    private CachedEnvironment? Cached(string hash)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(hash);
        }
    }

    private PackageEnvironmentLease Lease(CachedEnvironment entry)
    {
        entry.InUse++;
        entry.LastUsedAt = clock.GetUtcNow();
        return new PackageEnvironmentLease(entry.Hash, entry.Volume, () =>
        {
            lock (_gate)
            {
                entry.InUse--;
                entry.LastUsedAt = clock.GetUtcNow();
            }
        });
    }

    private async Task<CachedEnvironment> BuildAsync(string hash, RequirementSet requirements, string image)
    {
        await Task.Yield();
        try
        {
            CachedEnvironment entry;
            await _buildSlots.WaitAsync().ConfigureAwait(false);
            try
            {
                // One build per engine across replicas: after waiting for another replica's, its environment is found.
                var held = await buildLock.AcquireAsync(await EngineIdAsync().ConfigureAwait(false) + "\n" + hash, CancellationToken.None)
                    .ConfigureAwait(false);
                await using (held.ConfigureAwait(false))
                {
                    entry = (buildLock.IsShared ? await FindBuiltAsync(hash, requirements).ConfigureAwait(false) : null)
                        ?? await BuildOnceAsync(hash, requirements, image).ConfigureAwait(false);
                }
            }
            finally
            {
                _buildSlots.Release();
            }

            lock (_gate)
            {
                _entries[hash] = entry;
            }

            await EvictAsync(keep: hash).ConfigureAwait(false);
            return entry;
        }
        finally
        {
            lock (_gate)
            {
                _building.Remove(hash);
            }
        }
    }

    private async Task<CachedEnvironment> BuildOnceAsync(string hash, RequirementSet requirements, string image)
    {
        Interlocked.Increment(ref _builds);
        var options = packageOptions.Value;
        // Named per instance: two services on one engine never build into, or remove, each other's volume.
        var volume = VolumePrefix + hash[..32] + "-" + InstanceTag;
        // A volume left by an earlier build of this set that did not finish (the service stopped) is not trusted.
        await containers.TryRemoveVolumeAsync(volume).ConfigureAwait(false);
        await containers.Client.Volumes.CreateAsync(
            new VolumesCreateParameters
            {
                Name = volume,
                Labels = new Dictionary<string, string>
                {
                    [EnvironmentLabel] = hash,
                    [LeftoverEnvironments.RequirementsLabel] = requirements.ToString(),
                    [SandboxLabels.Instance] = sandboxOptions.Value.Instance,
                },
            },
            CancellationToken.None).ConfigureAwait(false);

        var started = Stopwatch.GetTimestamp();
        OneOffContainer.Outcome outcome;
        try
        {
            if (options.IndexUrl is { Length: > 0 })
            {
                await buildNetwork.EnsureAsync(CancellationToken.None).ConfigureAwait(false);
            }

            outcome = await OneOffContainer.RunAsync(
                containers, PackageBuilderSpec.Build(sandboxOptions.Value, options, image, volume, requirements), "package builder",
                TimeSpan.FromSeconds(options.BuildTimeoutSec), MaxBuildOutputBytes, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await containers.TryRemoveVolumeAsync(volume).ConfigureAwait(false);
            throw;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var summary = string.Join(' ', requirements.Lines);
        if (outcome.TimedOut || outcome.ExitCode != 0)
        {
            await containers.TryRemoveVolumeAsync(volume).ConfigureAwait(false);
            LogBuildFailed(hash, summary, outcome.ExitCode, outcome.TimedOut);
            throw new RequestValidationException("requirements", outcome.TimedOut
                ? $"building the package environment did not finish within ENV_BUILD_TIMEOUT_SEC ({options.BuildTimeoutSec} s)"
                : $"building the package environment failed (pip):\n{OneOffContainer.LastLines(outcome.Stderr + "\n" + outcome.Stdout)}");
        }

        var sizeLine = outcome.Stdout.Split('\n').LastOrDefault(l => l.StartsWith("size-kb ", StringComparison.Ordinal));
        var sizeKb = long.TryParse(sizeLine?["size-kb ".Length..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
        LogBuilt(hash, summary, (long)elapsed.TotalMilliseconds, sizeKb);
        var now = clock.GetUtcNow();
        return new CachedEnvironment(hash, volume, requirements, sizeKb * 1024, now) { LastUsedAt = now };
    }

    private string InstanceTag =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sandboxOptions.Value.Instance)))[..8];

    private async Task<string> EngineIdAsync()
    {
        var engine = await containers.Client.System.GetSystemInfoAsync(CancellationToken.None).ConfigureAwait(false);
        return engine.ID ?? engine.Name ?? "";
    }

    /// <summary>An environment of this set that another replica (or an earlier process) built on this engine, whole.</summary>
    private async Task<CachedEnvironment?> FindBuiltAsync(string hash, RequirementSet requirements)
    {
        if (await leftovers.FindBuiltAsync(hash, CancellationToken.None).ConfigureAwait(false) is not { } found)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        return new CachedEnvironment(hash, found.Volume, requirements, found.SizeBytes, found.CreatedAt)
        {
            LastUsedAt = now,
            Borrowed = found.Instance != sandboxOptions.Value.Instance,
        };
    }

    private async Task EvictAsync(string keep)
    {
        var budget = packageOptions.Value.CacheMb * 1024L * 1024;
        while (true)
        {
            CachedEnvironment? victim;
            lock (_gate)
            {
                if (_entries.Values.Sum(e => e.SizeBytes) <= budget)
                {
                    return;
                }

                victim = _entries.Values.Where(e => e.InUse == 0 && e.Hash != keep).MinBy(e => e.LastUsedAt);
                if (victim is null)
                {
                    return;
                }

                _entries.Remove(victim.Hash);
            }

            // Another replica's volume is its to remove: forgetting it is all this replica's eviction does.
            if (victim.Borrowed || await containers.TryRemoveVolumeAsync(victim.Volume).ConfigureAwait(false))
            {
                LogEvicted(victim.Hash, victim.SizeBytes / 1024);
            }
            else
            {
                // Mounted by a session or a sandbox still running: it stays, and is not counted against others.
                lock (_gate)
                {
                    _entries.TryAdd(victim.Hash, victim);
                }

                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Package environment {Hash} built in {DurationMs} ms ({SizeKb} KB): {Requirements}")]
    private partial void LogBuilt(string hash, string requirements, long durationMs, long sizeKb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Package environment {Hash} failed to build (exit {ExitCode}, timed out {TimedOut}): {Requirements}")]
    private partial void LogBuildFailed(string hash, string requirements, long? exitCode, bool timedOut);

    [LoggerMessage(Level = LogLevel.Information, Message = "Package environment {Hash} evicted ({SizeKb} KB)")]
    private partial void LogEvicted(string hash, long sizeKb);
}
