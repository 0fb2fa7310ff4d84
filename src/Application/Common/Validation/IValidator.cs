namespace CodeInterpreter.Application.Common.Validation;

/// <summary>
/// The rules a <typeparamref name="TMessage"/> must satisfy, against the server's limits. Checked by
/// <see cref="Behaviours.ValidationBehaviour{TMessage, TResponse}"/> before the message's handler runs,
/// so a handler only ever sees a valid message and each rule is checked once.
/// </summary>
internal interface IValidator<in TMessage>
{
    /// <summary>Refuses <paramref name="message"/> when it breaks a rule.</summary>
    /// <exception cref="Exceptions.RequestValidationException">A field is malformed or outside the limits (422).</exception>
    /// <exception cref="Exceptions.ForbiddenException">It asks for something the server does not allow (403).</exception>
    void Validate(TMessage message);
}
