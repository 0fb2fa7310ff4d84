namespace CodeInterpreter.Application.Common;

/// <summary>
/// At most MAX_CONCURRENT_EXECUTIONS run at once and at most MAX_QUEUED_EXECUTIONS wait; a request
/// beyond both is refused at once (429) instead of piling up until the service collapses.
/// </summary>
public sealed class ExecutionSlots : IDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _running;
    private readonly int _capacity;
    private int _admitted;

    public ExecutionSlots(IOptions<ConcurrencyOptions> options)
    {
        var settings = options.Value;
        _running = new SemaphoreSlim(settings.MaxConcurrentExecutions, settings.MaxConcurrentExecutions);
        _capacity = settings.MaxConcurrentExecutions + settings.MaxQueuedExecutions;
    }

    /// <summary>Requests running or waiting now.</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Waits for a slot; the returned lease frees it.</summary>
    /// <exception cref="TooManyRequestsException">Every slot is busy and the queue is full.</exception>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _admitted) > _capacity)
        {
            Interlocked.Decrement(ref _admitted);
            throw new TooManyRequestsException("Too many executions are running or waiting; try again shortly.", RetryAfter);
        }

        try
        {
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }

        return new Lease(this);
    }

    public void Dispose() => _running.Dispose();

    private void Leave()
    {
        _running.Release();
        Interlocked.Decrement(ref _admitted);
    }

    private sealed class Lease(ExecutionSlots slots) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                slots.Leave();
            }
        }
    }
}
