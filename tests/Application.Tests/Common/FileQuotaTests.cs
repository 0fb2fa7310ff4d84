using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Exceptions;

namespace CodeInterpreter.Application.Tests.Common;

/// <summary>FILE_STORE_MAX_MB and FILE_STORE_MAX_MB_PER_KEY as arithmetic: the room a file has and which limit refuses it.</summary>
public sealed class FileQuotaTests
{
    private const long Mb = 1024 * 1024;

    [Test]
    public void Without_limits_the_room_is_unbounded()
    {
        var quota = new FileQuota(0, 0);

        quota.IsLimited.Should().BeFalse();
        quota.Room(new FileUsage(50 * Mb, 50 * Mb), "alice").Should().Be(long.MaxValue);
    }

    [Test]
    public void The_room_is_the_smaller_of_what_the_store_and_the_key_have_left()
    {
        var quota = new FileQuota(10 * Mb, 4 * Mb);

        quota.Room(new FileUsage(7 * Mb, 1 * Mb), "alice").Should().Be(3 * Mb);
        quota.Room(new FileUsage(2 * Mb, 3 * Mb), "alice").Should().Be(1 * Mb);
    }

    [Test]
    public void Without_a_key_only_the_store_limit_applies()
    {
        var quota = new FileQuota(10 * Mb, 1 * Mb);

        quota.Room(new FileUsage(2 * Mb, 5 * Mb), owner: null).Should().Be(8 * Mb);
    }

    [Test]
    public void A_full_store_is_refused_as_the_store_and_a_full_share_as_the_callers()
    {
        var quota = new FileQuota(10 * Mb, 4 * Mb);

        var store = quota.Refusal(new FileUsage(10 * Mb, 0), "alice", 1);
        var share = quota.Refusal(new FileUsage(5 * Mb, 4 * Mb), "alice", 1);

        store.CallersShare.Should().BeFalse();
        store.Message.Should().StartWith("The file store is full (FILE_STORE_MAX_MB = 10 MB): 10 MB are stored");
        share.CallersShare.Should().BeTrue();
        share.Message.Should().StartWith("This API key's share of the file store is used up (FILE_STORE_MAX_MB_PER_KEY = 4 MB): 4 MB are stored under this key");
    }

    [Test]
    public void An_overrun_past_the_file_limit_is_too_large_and_one_within_it_does_not_fit()
    {
        var quota = new FileQuota(10 * Mb, 0);

        quota.Overrun(3 * Mb, 2 * Mb, new FileUsage(9 * Mb, 0), null).Should().BeOfType<PayloadTooLargeException>();
        quota.Overrun(2 * Mb, 5 * Mb, new FileUsage(9 * Mb, 0), null).Should().BeOfType<StorageQuotaExceededException>();
    }

    [Test]
    public void A_file_that_exactly_fills_the_store_fits()
    {
        var quota = new FileQuota(10 * Mb, 0);

        var check = () => quota.Check(new FileUsage(9 * Mb, 0), null, 1 * Mb);

        check.Should().NotThrow();
    }
}
