using System.Text;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Infrastructure.Docker;

namespace CodeInterpreter.Infrastructure.Tests.Protocol;

/// <summary>How <see cref="DisplayOutputs"/> takes display items: hostile input, cut to the allow-list and the bounds, never lost silently.</summary>
public sealed class DisplayOutputsTests
{
    private static DisplayOutputs Outputs(long maxOutputBytes = 1_000, int maxItems = 32) =>
        new(new SandboxLimits(256, 5, maxOutputBytes) { MaxOutputItems = maxItems });

    private static DisplayOutput? Accept(DisplayOutputs outputs, string json) => outputs.Accept(Encoding.UTF8.GetBytes(json));

    [Test]
    public void A_well_formed_item_is_kept_as_sent_with_json_as_its_text()
    {
        var item = Accept(Outputs(), """{"type": "execute_result", "data": {"text/plain": "1", "application/json": {"a": [1, 2]}}}""");

        item.Should().BeEquivalentTo(new DisplayOutput(
            DisplayOutput.ExecuteResult, new Dictionary<string, string> { ["text/plain"] = "1", ["application/json"] = """{"a": [1, 2]}""" }, Truncated: false));
    }

    [Test]
    public void Entries_over_the_byte_budget_of_all_items_are_cut_keeping_text_plain_first()
    {
        var outputs = Outputs(maxOutputBytes: 10);

        var first = Accept(outputs, """{"type": "display_data", "data": {"text/html": "<b>123456</b>", "text/plain": "123456"}}""");
        var second = Accept(outputs, """{"type": "display_data", "data": {"text/plain": "12345"}}""");

        first!.Data.Should().Equal(new Dictionary<string, string> { ["text/plain"] = "123456" });
        first.Truncated.Should().BeTrue();
        second!.Data.Should().BeEmpty("only 4 of the 10 bytes were left");
        second.Truncated.Should().BeTrue();
    }

    [TestCase("""{"type": "display_data", "data": {"application/x-evil": "x"}}""")]
    [TestCase("""{"type": "display_data", "data": {"image/png": "%%%"}}""")]
    [TestCase("""{"type": "display_data", "data": {"text/html": 5}}""")]
    [TestCase("""{"type": "stream", "data": {"text/plain": "x"}}""")]
    [TestCase("""{"type": "display_data"}""")]
    [TestCase("""[1, 2]""")]
    [TestCase("""{"type": "display_data", "data": {}} trailing""")]
    [TestCase("""NaN""")]
    public void A_forbidden_or_malformed_item_is_kept_empty_and_truncated(string json)
    {
        var item = Accept(Outputs(), json);

        item.Should().BeEquivalentTo(new DisplayOutput(DisplayOutput.DisplayData, new Dictionary<string, string>(), Truncated: true));
    }

    [Test]
    public void Items_past_the_count_bound_are_not_kept_and_mark_the_outputs_truncated()
    {
        var outputs = Outputs(maxItems: 1);

        Accept(outputs, """{"type": "display_data", "data": {"text/plain": "a"}}""").Should().NotBeNull();
        Accept(outputs, """{"type": "display_data", "data": {"text/plain": "b"}}""").Should().BeNull();

        outputs.Items.Should().ContainSingle();
        outputs.Truncated.Should().BeTrue();
    }

    [Test]
    public void Items_the_runner_dropped_mark_the_outputs_truncated()
    {
        var outputs = Outputs();

        outputs.RunnerDropped(3);

        outputs.Truncated.Should().BeTrue();
    }

    [Test]
    public void The_frame_bound_of_an_item_follows_max_output_bytes_up_to_64_MiB()
    {
        DisplayOutputs.MaxItemBytes(new SandboxLimits(256, 5, 1_000)).Should().Be(6_000 + 65_536);
        DisplayOutputs.MaxItemBytes(new SandboxLimits(256, 5, 1L << 30)).Should().Be(64 << 20);
    }
}
