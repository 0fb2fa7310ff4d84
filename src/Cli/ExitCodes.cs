namespace CodeInterpreter.Cli;

/// <summary>Exit codes of cin itself; <c>cin run</c> otherwise exits with the code's own exit code.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The service could not be reached or refused the request.</summary>
    public const int ServiceError = 1;

    /// <summary>A local problem: a script or input file that cannot be read, a file that cannot be written.</summary>
    public const int UsageError = 2;

    /// <summary>The code ran past its timeout and was killed (as timeout(1) reports it).</summary>
    public const int TimedOut = 124;
}
