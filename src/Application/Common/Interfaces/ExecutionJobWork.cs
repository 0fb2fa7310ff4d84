namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>What a background execution job does, owned by the use case that submitted it.</summary>
/// <param name="cancellationToken">Cancelled when the job is cancelled (<see cref="IExecutionJobs.CancelAsync"/>) or the service stops.</param>
/// <param name="serviceStopping">Cancelled only when the service stops, so the work can tell the two apart.</param>
public delegate Task ExecutionJobWork(CancellationToken cancellationToken, CancellationToken serviceStopping);
