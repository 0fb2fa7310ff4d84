using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Common;

public sealed class ExecutionOutcomesTests
{
    [Test]
    public void A_client_reads_the_services_own_words_for_the_failures_it_expects()
    {
        ExecutionOutcomes.ClientMessage(new SandboxFailedException("The sandbox could not run the code: gone"))
            .Should().Be("The sandbox could not run the code: gone");
        ExecutionOutcomes.ClientMessage(new ServiceUnavailableException("The Docker engine is unavailable; try again shortly.", TimeSpan.FromSeconds(5)))
            .Should().Be("The Docker engine is unavailable; try again shortly.");
        ExecutionOutcomes.ClientMessage(new TooManyRequestsException("busy", TimeSpan.FromSeconds(1))).Should().Be("busy");
    }

    [Test]
    public void A_client_never_reads_an_unexpected_exceptions_message()
    {
        var message = ExecutionOutcomes.ClientMessage(new InvalidOperationException("/var/lib/secret path in an internal error"));

        message.Should().Be(ExecutionOutcomes.UnexpectedFailureMessage).And.NotContain("secret");
    }

    [Test]
    public void Failures_map_to_the_outcomes_operators_count()
    {
        ExecutionOutcomes.Of(new TooManyRequestsException("busy", TimeSpan.FromSeconds(1))).Should().Be(ExecutionOutcome.Refused);
        ExecutionOutcomes.Of(new ServiceUnavailableException("away", TimeSpan.FromSeconds(1))).Should().Be(ExecutionOutcome.Unavailable);
        ExecutionOutcomes.Of(new OperationCanceledException()).Should().Be(ExecutionOutcome.Cancelled);
        ExecutionOutcomes.Of(new SandboxFailedException("broke")).Should().Be(ExecutionOutcome.Error);
    }

    [TestCase(0, false, false, ExecutionOutcome.Completed)]
    [TestCase(1, false, false, ExecutionOutcome.Failed)]
    [TestCase(137, false, true, ExecutionOutcome.OomKilled)]
    [TestCase(null, true, false, ExecutionOutcome.TimedOut)]
    public void Results_map_to_outcomes(int? exitCode, bool timedOut, bool oomKilled, ExecutionOutcome expected) =>
        ExecutionOutcomes.Of(new ExecutionResult("", "", exitCode, timedOut, TimeSpan.Zero, false, false, oomKilled, null))
            .Should().Be(expected);
}
