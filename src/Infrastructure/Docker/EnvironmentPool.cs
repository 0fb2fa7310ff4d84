using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>What became of a set of POOL_ENVIRONMENTS.</summary>
internal enum EnvironmentPoolState
{
    /// <summary>Its environment is being built or found (or its build failed and is retried): requests for it go cold.</summary>
    Pending,

    /// <summary>Its environment is pinned and warm sandboxes with it mounted are kept.</summary>
    Warm,

    /// <summary>The executor image satisfies the set: its requests need no environment and the default pool serves them.</summary>
    Image,

    /// <summary>The image lacks part of the set and no package source is configured: skipped.</summary>
    Unavailable,
}

/// <summary>
/// The warm sandboxes of one set of POOL_ENVIRONMENTS: the environment's lease (held for good, which pins it
/// against eviction and deletion), the sandboxes parked with it mounted, those warming, and how many requests
/// for it found one parked (hits) or not (misses). Thread-safe.
/// </summary>
internal sealed class EnvironmentPool(RequirementSet requirements, int size)
{
    private readonly Lock _gate = new();
    private readonly Queue<SandboxContainer> _parked = new();
    private PackageEnvironmentLease? _lease;
    private int _warming;
    private int _leased;
    private long _hits;
    private long _misses;
    private long _failures;
    private bool _draining;

    public RequirementSet Requirements { get; } = requirements;

    /// <summary>The set in one line, as logs and metrics name the pool.</summary>
    public string Label { get; } = string.Join(" ", requirements.Lines);

    public int Size { get; } = size;

    public EnvironmentPoolState State { get; set; } = EnvironmentPoolState.Pending;

    /// <summary>The shape of its sandboxes (the default pool's, the environment mounted); null until the environment is pinned.</summary>
    public SandboxShape? Shape { get; private set; }

    /// <summary>The environment's hash; null until pinned.</summary>
    public string? Hash => _lease?.Hash;

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Times its environment could not be had (a failed build, the engine away); each is retried.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Failed() => Interlocked.Increment(ref _failures);

    public int Warming => Volatile.Read(ref _warming);

    public int Parked
    {
        get
        {
            lock (_gate)
            {
                return _parked.Count;
            }
        }
    }

    /// <summary>Holds the set's environment from now on; its sandboxes get <paramref name="shape"/>.</summary>
    public void Pin(PackageEnvironmentLease lease, SandboxShape shape)
    {
        lock (_gate)
        {
            if (_draining)
            {
                lease.Dispose();  // pinned as the service stops: nothing will use it
                return;
            }

            _lease = lease;
            Shape = shape;
            State = EnvironmentPoolState.Warm;
        }
    }

    /// <summary>A parked live sandbox (a hit), or null (a miss: the request starts a cold one). Dead ones met on the way are returned for removal.</summary>
    public SandboxContainer? Take(List<SandboxContainer> dead)
    {
        lock (_gate)
        {
            while (_parked.TryDequeue(out var sandbox))
            {
                if (sandbox.IsAlive)
                {
                    Interlocked.Increment(ref _hits);
                    _leased++;
                    return sandbox;
                }

                dead.Add(sandbox);
            }
        }

        Interlocked.Increment(ref _misses);
        return null;
    }

    /// <summary>A leased sandbox's call is over: its replacement may be made now.</summary>
    public void LeaseEnded()
    {
        lock (_gate)
        {
            _leased--;
        }
    }

    /// <summary>
    /// How many more sandboxes to start now for the pool to hold its size (none while draining or not pinned). A leased
    /// sandbox is replaced once its call is over, not during it: making one would compete with the call for the cores.
    /// </summary>
    public int Missing()
    {
        lock (_gate)
        {
            return _draining || Shape is null ? 0 : Size - _parked.Count - _warming - _leased;
        }
    }

    public void WarmingStarted() => Interlocked.Increment(ref _warming);

    /// <summary>A warmed sandbox: parked, unless the pool drains (then false: the caller removes it).</summary>
    public bool Park(SandboxContainer sandbox)
    {
        lock (_gate)
        {
            Interlocked.Decrement(ref _warming);
            if (_draining)
            {
                return false;
            }

            _parked.Enqueue(sandbox);
            return true;
        }
    }

    public void WarmingFailed() => Interlocked.Decrement(ref _warming);

    /// <summary>Takes out every parked sandbox that died (an engine restart).</summary>
    public List<SandboxContainer> TakeDead()
    {
        lock (_gate)
        {
            List<SandboxContainer> dead = [];
            // One look at each: a sandbox that dies between two looks must not fall out of the pool unremoved.
            for (var i = _parked.Count; i > 0; i--)
            {
                var sandbox = _parked.Dequeue();
                if (sandbox.IsAlive)
                {
                    _parked.Enqueue(sandbox);
                }
                else
                {
                    dead.Add(sandbox);
                }
            }

            return dead;
        }
    }

    /// <summary>Stops parking, takes out every parked sandbox and lets the environment go.</summary>
    public List<SandboxContainer> Drain()
    {
        lock (_gate)
        {
            _draining = true;
            List<SandboxContainer> all = [.. _parked];
            _parked.Clear();
            _lease?.Dispose();
            return all;
        }
    }
}
