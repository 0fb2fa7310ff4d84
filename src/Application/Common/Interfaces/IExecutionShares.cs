namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>
/// MAX_CONCURRENT_EXECUTIONS_PER_KEY: how many executions each API key has running or queued, so one key
/// cannot take every slot. A call (<c>/v1/execute</c>, its stream, the facade's sync calls) takes a place
/// here for as long as it runs; a background execution is counted by its job store from its submit until it
/// finishes (<see cref="IExecutionJobs.EnqueueAsync"/>), never here, so it is not counted twice when it runs.
/// </summary>
public interface IExecutionShares
{
    /// <summary>
    /// Takes a place of <paramref name="owner"/> (null: no API keys, nothing is counted) for a call that runs
    /// now; disposing the answer gives it back, once, however the call ended.
    /// </summary>
    /// <exception cref="Exceptions.TooManyRequestsException">The key is at its limit.</exception>
    Task<IAsyncDisposable> EnterAsync(string? owner, CancellationToken cancellationToken);
}
