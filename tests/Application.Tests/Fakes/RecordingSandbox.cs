using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>A sandbox that keeps the request it got and, unless told otherwise, finishes at once with exit 0.</summary>
internal sealed class RecordingSandbox : ISandboxProvider
{
    public static readonly ExecutionResult Finished = new("out", "", 0, false, TimeSpan.FromMilliseconds(5), false, false, false, null);

    public SandboxRequest? Received { get; private set; }

    /// <summary>What a run does instead of finishing at once.</summary>
    public Func<SandboxRequest, CancellationToken, Task<ExecutionResult>>? Run { get; set; }

    public async Task<ExecutionResult> RunAsync(SandboxRequest request, CancellationToken cancellationToken)
    {
        Received = request;
        if (request.Observer is { } observer)
        {
            await observer.OnStartedAsync(cancellationToken);
        }

        return Run is null ? Finished : await Run(request, cancellationToken);
    }
}
