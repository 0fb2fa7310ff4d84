using System.ComponentModel.DataAnnotations;
using CodeInterpreter.Infrastructure.Egress;
using CodeInterpreter.Infrastructure.Options;

namespace CodeInterpreter.Infrastructure.Tests.Egress;

/// <summary>The /29 blocks of EGRESS_SUBNET_POOL: distinct while taken, none past the pool, and the setting checked at start-up.</summary>
public sealed class EgressSubnetsTests
{
    [Test]
    public void A_pool_hands_out_distinct_blocks_inside_it_until_none_is_left_and_a_returned_one_comes_back()
    {
        var subnets = new EgressSubnets("10.9.0.0/28");

        var first = subnets.Take()!;
        var second = subnets.Take()!;
        var none = subnets.Take();
        subnets.Return(first);
        var again = subnets.Take();

        subnets.Count.Should().Be(2);
        new[] { first.Cidr, second.Cidr }.Should().BeEquivalentTo(["10.9.0.0/29", "10.9.0.8/29"]);
        none.Should().BeNull();
        again!.Cidr.Should().Be(first.Cidr);
        (first.Gateway, first.ProxyAddress, first.SandboxAddress).Should().Be(first.Cidr == "10.9.0.0/29"
            ? ("10.9.0.1", "10.9.0.2", "10.9.0.3")
            : ("10.9.0.9", "10.9.0.10", "10.9.0.11"));
    }

    [TestCase("10.213.0.0/30")]
    [TestCase("fd00::/64")]
    [TestCase("not-a-range")]
    public void A_pool_that_is_not_an_IPv4_range_of_a_29_or_wider_is_refused_at_start_up(string pool)
    {
        var options = new EgressOptions { SubnetPool = pool };

        var problems = options.Validate(new ValidationContext(options)).ToList();

        problems.Should().ContainSingle(p => p.MemberNames.Contains("EGRESS_SUBNET_POOL") && p.ErrorMessage!.Contains(pool));
    }

    [Test]
    public void The_default_pool_is_valid()
    {
        var options = new EgressOptions();

        options.Validate(new ValidationContext(options)).Should().BeEmpty();
        new EgressSubnets(options.SubnetPool).Count.Should().Be(8192);
    }
}
