namespace CodeInterpreter.Application.Common.Interfaces;

/// <summary>Follows one execution as it happens (streaming, async status).</summary>
public interface IExecutionObserver
{
    /// <summary>The code is about to start (its sandbox is up and has the request).</summary>
    ValueTask OnStartedAsync(CancellationToken cancellationToken);

    /// <summary>A piece of output, in order, within the output cap (text decoded across chunk boundaries).</summary>
    ValueTask OnOutputAsync(OutputChannel stream, string text, CancellationToken cancellationToken);

    /// <summary>An item the code displayed, as it will be in the result's outputs (already checked and bounded).</summary>
    ValueTask OnDisplayAsync(DisplayOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
