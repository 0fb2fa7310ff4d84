using CodeInterpreter.Api.Contracts;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using Riok.Mapperly.Abstractions;

namespace CodeInterpreter.Api.Mapping;

/// <summary>API contracts to and from application models.</summary>
[Mapper]
internal static partial class ExecutionContractMapper
{
    public static ExecuteCodeCommand ToCommand(this ExecuteRequest request) => new(
        request.Code,
        request.Stdin,
        request.TimeoutMs,
        request.LastLineInteractive,
        [.. request.Files.Select(f => new WorkspaceFileReference(f.Path ?? string.Empty, f.FileId ?? string.Empty))])
    {
        Env = request.Env,
        Args = request.Args,
        Sources = [.. request.Sources.Select(s => new SourceFile(s.Path ?? string.Empty, s.Content ?? string.Empty))],
        Entrypoint = request.Entrypoint,
        MemoryLimitMb = request.MemoryLimitMb,
        CpuLimit = request.CpuLimit,
        Network = request.Network,
        AllowHosts = request.AllowHosts,
        PythonVersion = request.PythonVersion,
        Image = request.Image,
        Requirements = RequirementsField.Lines(request.Requirements),
    };

    [MapProperty(nameof(ExecutionResult.Duration), nameof(ExecuteResponse.DurationMs), Use = nameof(ToMilliseconds))]
    [MapperIgnoreSource(nameof(ExecutionResult.LastExpressionValue))]
    public static partial ExecuteResponse ToResponse(this ExecutionResult result);

    private static partial ExecutionErrorInfo ToErrorInfo(ExecutionError error);

    private static DisplayOutputInfo ToInfo(DisplayOutput output) => DisplayOutputContract.ToInfo(output);

    public static ExecutionJobResponse ToResponse(this ExecutionJob job) => new()
    {
        ExecutionId = job.Id,
        Status = ToSnakeCase(job.Status),
        CreatedAt = ToUnixSeconds(job.CreatedAt),
        StartedAt = job.StartedAt is { } started ? ToUnixSeconds(started) : null,
        FinishedAt = job.FinishedAt is { } finished ? ToUnixSeconds(finished) : null,
        Result = job.Result?.ToResponse(),
        Error = job.Error,
    };

    private static string ToSnakeCase(ExecutionJobStatus status) => status switch
    {
        ExecutionJobStatus.TimedOut => "timed_out",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static double ToUnixSeconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    private static long ToMilliseconds(TimeSpan duration) => (long)Math.Round(duration.TotalMilliseconds);
}
