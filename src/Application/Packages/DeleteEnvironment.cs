namespace CodeInterpreter.Application.Packages;

/// <summary>Remove a cached package environment (the next request that needs it builds it again).</summary>
public sealed record DeleteEnvironmentCommand(string Hash) : ICommand;

internal sealed partial class DeleteEnvironmentHandler(IPackageEnvironments environments, ILogger<DeleteEnvironmentHandler> logger)
    : ICommandHandler<DeleteEnvironmentCommand>
{
    public async ValueTask<Unit> Handle(DeleteEnvironmentCommand command, CancellationToken cancellationToken)
    {
        if (!await environments.DeleteAsync(command.Hash, cancellationToken).ConfigureAwait(false))
        {
            throw new NotFoundException($"Environment not found: {command.Hash}");
        }

        LogDeleted(command.Hash);
        return Unit.Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted package environment {Hash}")]
    private partial void LogDeleted(string hash);
}
