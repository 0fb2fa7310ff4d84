using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Interfaces;

namespace CodeInterpreter.Application.Sessions;

/// <summary>Expected failures of the session use cases, in the words clients match.</summary>
internal static class SessionErrors
{
    private static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    public static NotFoundException NotFound(string sessionId) =>
        new($"Session '{new string([.. sessionId.Take(100).Select(c => char.IsControl(c) ? '?' : c)])}' not found");

    /// <summary>503 with Retry-After until the engine answers and the executor image exists.</summary>
    public static void EnsureReady(ServiceReadiness readiness)
    {
        if (!readiness.IsReady)
        {
            throw new ServiceUnavailableException(
                $"The service is not ready to open sessions yet: {readiness.Reason}", NotReadyRetryAfter);
        }
    }
}
