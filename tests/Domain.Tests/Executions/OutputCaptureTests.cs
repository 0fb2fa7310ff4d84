using System.Text;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Domain.Tests.Executions;

public sealed class OutputCaptureTests
{
    [Test]
    public void Keeps_output_within_the_limit_unchanged()
    {
        var capture = new OutputCapture(10);

        capture.Append("hello"u8);

        capture.ToText().Should().Be("hello");
        capture.Truncated.Should().BeFalse();
    }

    [Test]
    public void Cuts_at_the_limit_counts_the_rest_and_appends_the_marker()
    {
        var capture = new OutputCapture(4);

        capture.Append("abc"u8);
        capture.Append("defgh"u8);
        capture.Append("ijk"u8);

        capture.ToText().Should().Be("abcd" + OutputCapture.TruncationMarker);
        capture.Truncated.Should().BeTrue();
        capture.TotalBytes.Should().Be(11);
    }

    [Test]
    public void Output_exactly_at_the_limit_is_not_truncated()
    {
        var capture = new OutputCapture(3);

        capture.Append("abc"u8);

        capture.Truncated.Should().BeFalse();
        capture.ToText().Should().Be("abc");
    }

    [Test]
    public void Replaces_invalid_utf8_instead_of_failing()
    {
        var capture = new OutputCapture(100);

        capture.Append([0x61, 0xff, 0x62]);

        capture.ToText().Should().Be("a\uFFFDb");
    }

    [Test]
    public void A_character_cut_in_half_by_the_limit_does_not_break_decoding()
    {
        var capture = new OutputCapture(1);

        capture.Append(Encoding.UTF8.GetBytes("é"));

        capture.ToText().Should().StartWith("\uFFFD").And.EndWith(OutputCapture.TruncationMarker);
    }
}
