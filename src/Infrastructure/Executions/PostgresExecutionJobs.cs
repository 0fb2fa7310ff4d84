using System.Collections.Concurrent;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Postgres;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure.Executions;

/// <summary>
/// Background executions as a durable queue in PostgreSQL (<see cref="PostgresExecutionQueue"/>), shared by
/// every replica. A submit inserts a queued row. Each replica's worker claims queued rows (at most
/// MAX_CONCURRENT_EXECUTIONS at once), runs them through the Application's <see cref="IQueuedExecutionRunner"/>
/// and stores the outcome. Every second it renews the lease of what it holds and learns which of them were
/// cancelled (from any replica), killing their sandboxes. A replica that stops renewing leaves its rows to
/// the others: a running one ends failed (never run twice: code may have side effects), a claimed one that
/// had not started goes back to the queue. Finished rows are deleted EXECUTION_RESULT_TTL_SEC after they
/// finished. A row counts for its key's MAX_CONCURRENT_EXECUTIONS_PER_KEY while it is queued or running,
/// whichever replica holds it, so its place is given back exactly when the row ends (a dead replica's by
/// the lease).
/// </summary>
internal sealed partial class PostgresExecutionJobs(
    PostgresExecutionQueue queue,
    PostgresExecutionShares shares,
    IQueuedExecutionRunner runner,
    ServiceReadiness readiness,
    IOptions<AsyncExecutionOptions> asyncOptions,
    IOptions<ConcurrencyOptions> concurrencyOptions,
    TimeProvider clock,
    ILogger<PostgresExecutionJobs> logger) : BackgroundService, IExecutionJobs, IExecutionJobEvents
{
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, LocalRun> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0);

    public async Task EnqueueAsync(ExecutionJob job, QueuedExecution execution, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(execution);
        await queue.EnqueueAsync(job, execution, cancellationToken).ConfigureAwait(false);
        // This replica's worker looks at once; the others within their poll interval.
        _wake.Release();
    }

    public Task<ExecutionJob?> FindAsync(string id, CancellationToken cancellationToken) => queue.FindAsync(id, cancellationToken);

    public Task<int> CountUnfinishedAsync(CancellationToken cancellationToken) => queue.CountUnfinishedAsync(cancellationToken);

    public async Task<ExecutionJob> CancelAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var cancelledWhileWaiting = await queue.CancelAsync(job.Id, cancellationToken).ConfigureAwait(false);
        if (!cancelledWhileWaiting && _running.TryGetValue(job.Id, out var local))
        {
            await local.Cancel.CancelAsync().ConfigureAwait(false);
        }

        var deadline = clock.GetUtcNow() + CancelWait;
        var current = job;
        while (true)
        {
            current = await FindAsync(job.Id, cancellationToken).ConfigureAwait(false) ?? current;
            if (current.IsFinished || clock.GetUtcNow() >= deadline)
            {
                return current;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StartedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return queue.RecordStartedAsync(job);
    }

    public Task FinishedAsync(ExecutionJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _stopping.IsCancellationRequested && job.StartedAt is null
            ? queue.HandBackAsync(job)
            : queue.RecordFinishedAsync(job);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextSweep = clock.GetUtcNow();
        string? lastProblem = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await HeartbeatAsync(stoppingToken).ConfigureAwait(false);
                await shares.RenewAsync(stoppingToken).ConfigureAwait(false);
                await queue.EndExpiredLeasesAsync(stoppingToken).ConfigureAwait(false);
                // Nothing new once stopping (StopAsync runs before this loop's token is cancelled).
                while (!_stopping.IsCancellationRequested && readiness.IsReady
                    && _running.Count < concurrencyOptions.Value.MaxConcurrentExecutions
                    && await queue.ClaimAsync(stoppingToken).ConfigureAwait(false) is { } claimed)
                {
                    Run(claimed.Job, claimed.Execution);
                }

                if (clock.GetUtcNow() >= nextSweep)
                {
                    await queue.DeleteExpiredAsync(stoppingToken).ConfigureAwait(false);
                    nextSweep = clock.GetUtcNow() + TimeSpan.FromSeconds(asyncOptions.Value.SweepIntervalSec);
                }

                lastProblem = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database away: readiness says so; try again at the next turn, logging once per reason.
                if (ex.Message != lastProblem)
                {
                    LogWorkerFailed(ex);
                }

                lastProblem = ex.Message;
            }

            try
            {
                await _wake.WaitAsync(PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Kills what runs here (each recorded as cancelled by the shutdown, or handed back if it had not started) and waits for it.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        var runs = _running.Values.Select(r => r.Run).OfType<Task>().ToArray();
        await Task.WhenAll(runs).WaitAsync(StopWait, cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Run(ExecutionJob job, QueuedExecution execution)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var local = new LocalRun(cancel);
        _running[job.Id] = local;
        local.Run = Task.Run(async () =>
        {
            try
            {
                await runner.RunAsync(execution, job, this, cancel.Token, _stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                _running.TryRemove(job.Id, out _);
                // A slot is free: claim the next at once.
                _wake.Release();
            }
        }, CancellationToken.None);
    }

    /// <summary>Renews the lease of every row held here, and kills those cancelled meanwhile or taken from us.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        if (_running.IsEmpty)
        {
            return;
        }

        var held = await queue.RenewAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (id, local) in _running)
        {
            // Cancelled by a client, or no longer ours (its lease ran out while the database was away): stop it.
            if ((!held.TryGetValue(id, out var cancelRequested) || cancelRequested) && local.Run is not null && !local.Cancel.IsCancellationRequested)
            {
                await local.Cancel.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The background execution worker could not reach the database; retrying")]
    private partial void LogWorkerFailed(Exception ex);

    private sealed class LocalRun(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public Task? Run { get; set; }
    }
}
