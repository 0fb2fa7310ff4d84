using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Sessions;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Sessions;
using Riok.Mapperly.Abstractions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>Session contracts to and from application models.</summary>
[Mapper]
internal static partial class SessionContractMapper
{
    public static CreateSessionCommand ToCommand(this SessionCreateRequest request) => new(
        [.. request.Files.Select(f => new WorkspaceFileReference(f.Path ?? string.Empty, f.FileId ?? string.Empty))],
        request.TtlSeconds)
    {
        MemoryLimitMb = request.MemoryLimitMb,
        Requirements = RequirementsField.Lines(request.Requirements),
        AllowHosts = request.AllowHosts,
    };

    public static ExecuteInSessionCommand ToCommand(this SessionExecuteRequest request, string sessionId) => new(
        sessionId, request.Code, request.Stdin, request.TimeoutMs, request.LastLineInteractive)
    {
        Env = request.Env,
        Args = request.Args,
    };

    public static RunBashInSessionCommand ToCommand(this SessionBashRequest request, string sessionId) =>
        new(sessionId, request.Cmd, request.TimeoutMs);

    [MapProperty(nameof(OpenedSession.ExpiresAt), nameof(SessionCreateResponse.ExpiresAt), Use = nameof(ToUnixSeconds))]
    public static partial SessionCreateResponse ToResponse(this OpenedSession session);

    public static SessionExecuteResponse ToResponse(this SessionExecutionResult result) =>
        ToResponse(result.Execution, result.InterpreterRestarted);

    [MapProperty(nameof(ExecutionResult.Duration), nameof(SessionExecuteResponse.DurationMs), Use = nameof(ToMilliseconds))]
    [MapperIgnoreSource(nameof(ExecutionResult.LastExpressionValue))]
    private static partial SessionExecuteResponse ToResponse(ExecutionResult execution, bool interpreterRestarted);

    private static DisplayOutputInfo ToInfo(DisplayOutput output) => DisplayOutputContract.ToInfo(output);

    [MapProperty(nameof(ShellResult.Duration), nameof(SessionBashResponse.DurationMs), Use = nameof(ToMilliseconds))]
    public static partial SessionBashResponse ToResponse(this ShellResult result);

    private static double ToUnixSeconds(DateTimeOffset time) => UnixTime.ToSeconds(time);

    private static long ToMilliseconds(TimeSpan duration) => (long)Math.Round(duration.TotalMilliseconds);
}
