using CodeInterpreter.Application.Common.Behaviours;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Validation;
using Mediator;

namespace CodeInterpreter.Application.Tests.Common;

/// <summary>The pipeline behaviour that checks a message against its validators before its handler runs.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class ValidationBehaviourTests
{
    private sealed record Ping(int Value) : ICommand<string>;

    private sealed class PositiveValidator : IValidator<Ping>
    {
        public List<Ping> Checked { get; } = [];

        public void Validate(Ping message)
        {
            Checked.Add(message);
            if (message.Value <= 0)
            {
                throw new RequestValidationException("value", "value must be positive");
            }
        }
    }

    private readonly List<Ping> _handled = [];

    private ValueTask<string> Handler(Ping message, CancellationToken cancellationToken)
    {
        _handled.Add(message);
        return ValueTask.FromResult("pong");
    }

    [Test]
    public async Task A_message_its_validators_refuse_never_reaches_its_handler()
    {
        var behaviour = new ValidationBehaviour<Ping, string>([new PositiveValidator()]);

        var send = () => behaviour.Handle(new Ping(0), Handler, CancellationToken.None).AsTask();

        await send.Should().ThrowAsync<RequestValidationException>().WithMessage("value must be positive");
        _handled.Should().BeEmpty();
    }

    [Test]
    public async Task A_valid_message_is_checked_once_and_handed_on_as_it_is()
    {
        var validator = new PositiveValidator();
        var behaviour = new ValidationBehaviour<Ping, string>([validator]);

        var answer = await behaviour.Handle(new Ping(1), Handler, CancellationToken.None);

        answer.Should().Be("pong");
        validator.Checked.Should().Equal(new Ping(1));
        _handled.Should().Equal(new Ping(1));
    }

    [Test]
    public async Task A_message_without_validators_passes_straight_through()
    {
        var behaviour = new ValidationBehaviour<Ping, string>([]);

        (await behaviour.Handle(new Ping(-1), Handler, CancellationToken.None)).Should().Be("pong");
    }
}
