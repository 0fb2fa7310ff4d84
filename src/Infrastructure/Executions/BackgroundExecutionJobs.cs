using System.Collections.Concurrent;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// Runs submitted executions in the background at once (what a job does is the Application's
/// <see cref="IQueuedExecutionRunner"/>: the same runner, limits, slots and sandboxes as
/// <c>/v1/execute</c>), keeps each finished one for EXECUTION_RESULT_TTL_SEC, and removes expired ones on
/// a timer. The embedded single-machine store: jobs live in this process, and a restart forgets them.
/// A job holds a place of its key's MAX_CONCURRENT_EXECUTIONS_PER_KEY (<see cref="InMemoryExecutionShares"/>)
/// from its submit until its run ends, however it ends; at most MAX_RETAINED_EXECUTIONS are kept.
/// </summary>
internal sealed partial class BackgroundExecutionJobs(
    IQueuedExecutionRunner runner,
    InMemoryExecutionShares shares,
    TimeProvider clock,
    IOptions<AsyncExecutionOptions> options,
    IOptions<ConcurrencyOptions> concurrency,
    ILogger<BackgroundExecutionJobs> logger) : BackgroundService, IExecutionJobs, IExecutionJobEvents
{
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stopGate = new();
    private readonly Lock _keepGate = new();
    private Task? _stop;

    public Task<int> CountUnfinishedAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_jobs.Values.Count(e => !e.Job.IsFinished));

    public Task EnqueueAsync(ExecutionJob job, QueuedExecution execution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(execution);
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var entry = new Entry(job, cancel);
        lock (_keepGate)
        {
            if (!shares.TryTake(execution.Owner))
            {
                cancel.Dispose();
                throw ExecutionShare.Refusal(concurrency.Value.MaxConcurrentExecutionsPerKey);
            }

            if (!MakeRoom())
            {
                shares.Release(execution.Owner);
                cancel.Dispose();
                throw RetainedExecutions.Refusal(options.Value.MaxRetained);
            }

            entry.Run = Task.Run(async () =>
            {
                try
                {
                    await runner.RunAsync(execution, job, this, cancel.Token, _stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    // The one place the submit took, given back once the run is over (completed, failed, cancelled or timed out).
                    shares.Release(execution.Owner);
                }
            }, CancellationToken.None);
            _jobs[job.Id] = entry;
        }

        return Task.CompletedTask;
    }

    /// <summary>Below MAX_RETAINED_EXECUTIONS by one, removing the oldest finished jobs; false when only unfinished ones are kept.</summary>
    private bool MakeRoom()
    {
        var excess = _jobs.Count - options.Value.MaxRetained + 1;
        if (excess <= 0)
        {
            return true;
        }

        var oldestFinished = _jobs.Values.Where(e => e.Job.IsFinished).OrderBy(e => e.Job.FinishedAt).Take(excess).ToList();
        foreach (var evicted in oldestFinished)
        {
            _jobs.TryRemove(evicted.Job.Id, out _);
        }

        if (oldestFinished.Count > 0)
        {
            LogEvicted(oldestFinished.Count, options.Value.MaxRetained);
        }

        return oldestFinished.Count == excess;
    }

    public Task<ExecutionJob?> FindAsync(string id, CancellationToken cancellationToken) =>
        Task.FromResult(_jobs.TryGetValue(id, out var entry) ? entry.Job : null);

    public async Task<ExecutionJob> CancelAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        if (!_jobs.TryGetValue(job.Id, out var entry) || job.IsFinished)
        {
            return job;
        }

        await entry.Cancel.CancelAsync().ConfigureAwait(false);
        await entry.Run!.WaitAsync(CancelWait, cancellationToken).ConfigureAwait(false);
        return job;
    }

    // The job object kept here is the one the run moves along: nothing more to record.
    Task IExecutionJobEvents.StartedAsync(ExecutionJob job, CancellationToken cancellationToken) => Task.CompletedTask;

    Task IExecutionJobEvents.FinishedAsync(ExecutionJob job, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSec), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                RemoveExpired();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Cancels every unfinished job and waits for them; safe to call more than once (a host may stop twice).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_stopGate)
        {
            stop = _stop ??= StopJobsAsync();
        }

        await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StopJobsAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        var running = _jobs.Values.Select(e => e.Run).OfType<Task>().ToArray();
        await Task.WhenAll(running).WaitAsync(CancelWait).ConfigureAwait(false);
    }

    // The token sources are left to the garbage collector: a second, late StopAsync of the host
    // may still cancel them after disposal, and at shutdown nothing is gained by disposing them.

    private void RemoveExpired()
    {
        var cutoff = clock.GetUtcNow() - TimeSpan.FromSeconds(options.Value.ResultTtlSec);
        var removed = 0;
        foreach (var (id, entry) in _jobs)
        {
            if (entry.Job.FinishedAt < cutoff && _jobs.TryRemove(id, out _))
            {
                removed++;
            }
        }

        if (removed > 0)
        {
            LogExpired(removed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the {Count} oldest finished execution result(s) to keep at most {Retained} (MAX_RETAINED_EXECUTIONS)")]
    private partial void LogEvicted(int count, int retained);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} expired execution result(s)")]
    private partial void LogExpired(int count);

    private sealed class Entry(ExecutionJob job, CancellationTokenSource cancel)
    {
        public ExecutionJob Job { get; } = job;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task? Run { get; set; }
    }
}
