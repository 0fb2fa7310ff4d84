using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Api.Uploads;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Domain.Executions;
using Mediator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CodeInterpreter.Api.Controllers;

/// <summary>
/// python-executor's API (PYEXEC_API.md) as a thin facade over our use cases: the same execute command,
/// background store, isolation and warm pool as <c>/v1</c>. Errors here are <c>{"error": "..."}</c>
/// (<see cref="PyExecErrorWriter"/>). Not in our OpenAPI document: its clients are python-executor's own.
/// </summary>
[ApiController]
[Route("api/v1")]
[ApiExplorerSettings(IgnoreApi = true)]
public sealed class PythonExecutorController(
    IMediator mediator,
    IOptions<ExecutionOptions> executionOptions,
    IOptions<AsyncExecutionOptions> asyncOptions,
    TimeProvider clock) : ControllerBase
{
    /// <summary>Room in a request body beyond the content it carries (JSON, multipart and tar framing).</summary>
    private const long BodySlackBytes = 4L * 1024 * 1024;

    /// <summary>Runs code (or a few text files) and answers its result.</summary>
    [HttpPost("eval")]
    [ReadsOwnBody]
    public async Task<PyExecResult> Eval(CancellationToken cancellationToken)
    {
        var limits = executionOptions.Value;
        var maxBody = limits.MaxCodeBytes + (long)limits.MaxStdinBytes + BodySlackBytes;
        // Any content type is read as JSON, as python-executor does.
        var request = await PyExecJson.ReadAsync<PyExecEvalRequest>(Request.Body, "body", maxBody, cancellationToken);
        return await RunAsync(PyExecCommands.FromEval(request, limits), cancellationToken);
    }

    /// <summary>Runs a tar's project and answers its result, also when it failed or timed out.</summary>
    [HttpPost("exec/sync")]
    [ReadsOwnBody]
    public async Task<PyExecResult> ExecSync(CancellationToken cancellationToken) =>
        await RunAsync(await ReadProjectAsync(cancellationToken), cancellationToken);

    /// <summary>Starts a tar's project in the background: 202 with its id, to poll and to kill.</summary>
    [HttpPost("exec/async")]
    [ReadsOwnBody]
    public async Task<IActionResult> ExecAsync(CancellationToken cancellationToken)
    {
        var command = await ReadProjectAsync(cancellationToken);
        var job = await mediator.Send(
            new SubmitExecutionCommand(command) { JobId = PyExecResultMapper.NewExecutionId() }, cancellationToken);
        return StatusCode(StatusCodes.Status202Accepted, new PyExecSubmitted(job.Id));
    }

    /// <summary>Where an execution stands; 404 once unknown or older than PYEXEC_RESULT_TTL_SEC.</summary>
    [HttpGet("executions/{id}")]
    public async Task<PyExecResult> Get(string id, CancellationToken cancellationToken)
    {
        var job = await mediator.Send(new GetExecutionQuery(id), cancellationToken);
        return IsExpired(job) ? throw new NotFoundException($"Execution '{id}' not found") : job.ToPyExecResult();
    }

    /// <summary>Kills a pending or running execution (it stays killed); a finished one answers its status.</summary>
    [HttpDelete("executions/{id}")]
    public async Task<PyExecKilled> Kill(string id, CancellationToken cancellationToken)
    {
        var job = await mediator.Send(new GetExecutionQuery(id), cancellationToken);
        if (IsExpired(job))
        {
            throw new NotFoundException($"Execution '{id}' not found");
        }

        job = await mediator.Send(new CancelExecutionCommand(id), cancellationToken);
        return new PyExecKilled(PyExecStatus.Of(job.Status));
    }

    private bool IsExpired(ExecutionJob job) =>
        job.IsFinished && clock.GetUtcNow() - job.CreatedAt > TimeSpan.FromSeconds(asyncOptions.Value.PyExecResultTtlSec);

    private async Task<ExecuteCodeCommand> ReadProjectAsync(CancellationToken cancellationToken)
    {
        var limits = executionOptions.Value;
        if (HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limits.MaxFilesBytesPerExecution + limits.MaxStdinBytes + BodySlackBytes;
        }

        var form = await ProjectForm.ReadAsync(Request, limits, cancellationToken);
        return PyExecCommands.FromForm(form, limits);
    }

    /// <summary>One run to its end: its result, or <c>failed</c> with the reason when the sandbox itself failed.</summary>
    private async Task<PyExecResult> RunAsync(ExecuteCodeCommand command, CancellationToken cancellationToken)
    {
        var id = PyExecResultMapper.NewExecutionId();
        var started = clock.GetUtcNow();
        try
        {
            var result = await mediator.Send(command, cancellationToken);
            return result.ToPyExecResult(id, clock.GetUtcNow(), TimeSpan.FromMilliseconds(command.TimeoutMs));
        }
        catch (SandboxFailedException ex)
        {
            return new PyExecResult
            {
                ExecutionId = id,
                Status = PyExecStatus.Failed,
                Error = ex.Message,
                StartedAt = PyExecTimestamp.Format(started),
                FinishedAt = PyExecTimestamp.Format(clock.GetUtcNow()),
            };
        }
    }
}
