namespace CodeInterpreter.Application.Common;

/// <summary>What one execution came to, as operators count it.</summary>
public enum ExecutionOutcome
{
    /// <summary>The code ran and exited 0.</summary>
    Completed,

    /// <summary>The code ran and failed: a non-zero exit, an uncaught exception, a signal.</summary>
    Failed,

    /// <summary>The service's deadline (<c>timeout_ms</c>) ended it.</summary>
    TimedOut,

    /// <summary>The memory limit ended it.</summary>
    OomKilled,

    /// <summary>Refused at once: every slot busy and the queue full (429).</summary>
    Refused,

    /// <summary>The service or its engine was not available (503).</summary>
    Unavailable,

    /// <summary>The caller went away (or cancelled) before it ended.</summary>
    Cancelled,

    /// <summary>The sandbox or the service failed to run it (5xx other than 503).</summary>
    Error,
}

/// <summary>How results and failures map to an <see cref="ExecutionOutcome"/>, and what a client is told of a failure.</summary>
public static class ExecutionOutcomes
{
    /// <summary>What a client may read of a failure that can no longer be a problem response (a started stream, a background execution).</summary>
    public const string UnexpectedFailureMessage = "The execution failed inside the service; the error has been logged.";

    public static ExecutionOutcome Of(ExecutionResult result) => result switch
    {
        { TimedOut: true } => ExecutionOutcome.TimedOut,
        { OomKilled: true } => ExecutionOutcome.OomKilled,
        { ExitCode: 0 } => ExecutionOutcome.Completed,
        _ => ExecutionOutcome.Failed,
    };

    public static ExecutionOutcome Of(Exception error) => error switch
    {
        TooManyRequestsException => ExecutionOutcome.Refused,
        ServiceUnavailableException => ExecutionOutcome.Unavailable,
        OperationCanceledException => ExecutionOutcome.Cancelled,
        _ => ExecutionOutcome.Error,
    };

    /// <summary>
    /// The message a client may see for <paramref name="error"/>: the service's own words for the
    /// failures it expects (the sandbox failed, the engine is away, the service is busy, a package environment could not be built), and
    /// <see cref="UnexpectedFailureMessage"/> for anything else, whose details stay in the log.
    /// </summary>
    public static string ClientMessage(Exception error) =>
        error is SandboxFailedException or ServiceUnavailableException or TooManyRequestsException or RequestValidationException
            ? error.Message
            : UnexpectedFailureMessage;
}
