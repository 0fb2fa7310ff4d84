namespace CodeInterpreter.Application.Common.Behaviours;

/// <summary>
/// Refuses a message that breaks a rule of its validators before its handler runs; a message without
/// validators passes straight through.
/// </summary>
internal sealed class ValidationBehaviour<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    private readonly IValidator<TMessage>[] _validators = [.. validators];

    public ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        foreach (var validator in _validators)
        {
            validator.Validate(message);
        }

        return next(message, cancellationToken);
    }
}
