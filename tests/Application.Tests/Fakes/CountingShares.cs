using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>Counts the places taken and given back, refusing every one while <see cref="Refuse"/> is set.</summary>
internal sealed class CountingShares : IExecutionShares
{
    private int _entered;
    private int _left;

    public int Entered => Volatile.Read(ref _entered);

    public int Left => Volatile.Read(ref _left);

    public bool Refuse { get; set; }

    public Task<IAsyncDisposable> EnterAsync(string? owner, CancellationToken cancellationToken)
    {
        if (Refuse)
        {
            throw new CodeInterpreter.Application.Common.Exceptions.TooManyRequestsException("key at its limit", TimeSpan.FromSeconds(1));
        }

        Interlocked.Increment(ref _entered);
        return Task.FromResult<IAsyncDisposable>(new Place(this));
    }

    private sealed class Place(CountingShares shares) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref shares._left);
            return ValueTask.CompletedTask;
        }
    }
}
