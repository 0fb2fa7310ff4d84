using CodeInterpreter.Application.Common;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// MAX_CONCURRENT_EXECUTIONS_PER_KEY of the embedded store: one count per API key, in this process, of its
/// calls running (taken and given back by <see cref="EnterAsync"/>) and of its background executions
/// (taken at submit and given back when the run ends, by <see cref="BackgroundExecutionJobs"/>).
/// </summary>
internal sealed class InMemoryExecutionShares(IOptions<ConcurrencyOptions> options) : IExecutionShares
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _taken = new(StringComparer.Ordinal);

    private int Limit => options.Value.MaxConcurrentExecutionsPerKey;

    public Task<IAsyncDisposable> EnterAsync(string? owner, CancellationToken cancellationToken)
    {
        if (!TryTake(owner))
        {
            throw ExecutionShare.Refusal(Limit);
        }

        return Task.FromResult<IAsyncDisposable>(new Place(this, owner));
    }

    /// <summary>Takes a place of <paramref name="owner"/>; false when the key is at its limit.</summary>
    public bool TryTake(string? owner)
    {
        if (!ExecutionShare.Applies(owner, Limit))
        {
            return true;
        }

        lock (_gate)
        {
            var taken = _taken.GetValueOrDefault(owner!);
            if (taken >= Limit)
            {
                return false;
            }

            _taken[owner!] = taken + 1;
            return true;
        }
    }

    /// <summary>Gives back a place <see cref="TryTake"/> gave.</summary>
    public void Release(string? owner)
    {
        if (owner is null)
        {
            return;
        }

        lock (_gate)
        {
            // A limit of 0 took nothing; nor did a limit set only later (options do not change while running).
            if (_taken.TryGetValue(owner, out var taken))
            {
                if (taken <= 1)
                {
                    _taken.Remove(owner);
                }
                else
                {
                    _taken[owner] = taken - 1;
                }
            }
        }
    }

    private sealed class Place(InMemoryExecutionShares shares, string? owner) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                shares.Release(owner);
            }

            return ValueTask.CompletedTask;
        }
    }
}
