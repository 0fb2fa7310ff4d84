using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Application.Tests.Common;

public sealed class ExecutionSlotsTests
{
    private static ExecutionSlots Slots(int running, int queued) =>
        new(Microsoft.Extensions.Options.Options.Create(new ConcurrencyOptions { MaxConcurrentExecutions = running, MaxQueuedExecutions = queued }));

    [Test]
    public async Task Refuses_at_once_when_every_slot_and_the_queue_are_taken()
    {
        using var slots = Slots(running: 1, queued: 1);
        using var first = await slots.EnterAsync(CancellationToken.None);
        var queued = slots.EnterAsync(CancellationToken.None);

        var third = async () => await slots.EnterAsync(CancellationToken.None);

        (await third.Should().ThrowAsync<TooManyRequestsException>()).Which.RetryAfter.Should().BePositive();
        queued.IsCompleted.Should().BeFalse("the second request waits in the queue");
        first.Dispose();
        (await queued).Dispose();
        slots.Admitted.Should().Be(0);
    }

    [Test]
    public async Task A_cancelled_wait_gives_its_queue_place_back()
    {
        using var slots = Slots(running: 1, queued: 1);
        using var first = await slots.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.EnterAsync(cancel.Token);

        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        slots.Admitted.Should().Be(1);
    }

    [Test]
    public async Task Disposing_a_lease_twice_frees_one_slot_only()
    {
        using var slots = Slots(running: 2, queued: 0);
        var lease = await slots.EnterAsync(CancellationToken.None);

        lease.Dispose();
        lease.Dispose();

        slots.Admitted.Should().Be(0);
    }
}
