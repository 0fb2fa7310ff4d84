using System.Text;
using CodeInterpreter.Application.Executions;

namespace CodeInterpreter.Application.Sessions;

/// <summary>The rules requests about sessions must satisfy, against the server's limits, beyond those they share with executions.</summary>
internal static class SessionRules
{
    public const int MinTtlSeconds = 1;
    public const int MaxTtlSeconds = 86_400;

    public static void CheckTtl(int ttlSeconds)
    {
        if (ttlSeconds is < MinTtlSeconds or > MaxTtlSeconds)
        {
            throw new RequestValidationException(
                "ttl_seconds", $"ttl_seconds must be between {MinTtlSeconds} and {MaxTtlSeconds}, not {ttlSeconds}");
        }
    }

    public static void CheckShell(string? cmd, int timeoutMs, ExecutionOptions limits)
    {
        if (string.IsNullOrWhiteSpace(cmd))
        {
            throw new RequestValidationException("cmd", "cmd must not be empty");
        }

        if (Encoding.UTF8.GetByteCount(cmd) > limits.MaxCodeBytes)
        {
            throw new RequestValidationException("cmd", $"cmd exceeds maximum of {limits.MaxCodeBytes} bytes");
        }

        if (cmd.Contains('\0', StringComparison.Ordinal))
        {
            throw new RequestValidationException("cmd", "cmd must not contain NUL");
        }

        // The same bound as code (MAX_EXEC_TIMEOUT_MS, 60000 by default: the reference's bash maximum).
        ExecutionRules.CheckTimeout(timeoutMs, limits);
    }
}
