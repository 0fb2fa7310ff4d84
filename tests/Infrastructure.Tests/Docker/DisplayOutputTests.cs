using System.Text.Json;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// <c>outputs</c> against the real runner: display(), the REPL echo of a trailing expression and plt.show() as
/// MIME bundles, and the service's bounds on whatever the code writes on its display pipe.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class DisplayOutputTests : RealSandboxTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    // The code can write any line on its display pipe: the runner's display module holds its descriptor.
    private const string ForgeLine = "import os\nimport codeinterpreter_runner.display as shown\ndef forge(line):\n    os.write(shown._fd, line.encode() + b'\\n')\n";

    [Test]
    public async Task Display_of_a_dataframe_gives_html_and_json_records_bounded_to_50_rows()
    {
        var result = await Sandbox.RunAsync(
            "import pandas as pd\ndf = pd.DataFrame({'a': range(200), 'b': ['x'] * 200})\ndisplay(df)\nprint('after')", timeoutMs: 30_000);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Be("after\n");
        var item = result.Outputs.Should().ContainSingle().Subject;
        item.Type.Should().Be(DisplayOutput.DisplayData);
        item.Truncated.Should().BeFalse();
        item.Data.Keys.Should().BeEquivalentTo("text/plain", "text/html", "application/json");
        item.Data["text/html"].Should().StartWith("<table").And.Contain("<td>x</td>");
        using var json = JsonDocument.Parse(item.Data["application/json"]);
        json.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()).Should().Equal("a", "b");
        json.RootElement.GetProperty("records").GetArrayLength().Should().Be(50);
        json.RootElement.GetProperty("records")[3].GetProperty("a").GetInt32().Should().Be(3);
        json.RootElement.GetProperty("total_rows").GetInt32().Should().Be(200);
        json.RootElement.GetProperty("truncated").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task A_trailing_series_is_echoed_on_stdout_and_is_an_execute_result()
    {
        var result = await Sandbox.RunAsync("import pandas as pd\npd.Series([1, 2], name='n')", timeoutMs: 30_000);

        result.Stdout.Should().Contain("Name: n");
        var item = result.Outputs.Should().ContainSingle().Subject;
        item.Type.Should().Be(DisplayOutput.ExecuteResult);
        item.Data["text/plain"].Should().Be(result.Stdout.TrimEnd('\n'));
        item.Data.Should().ContainKey("text/html");
    }

    [Test]
    public async Task A_trailing_expression_without_last_line_interactive_displays_nothing()
    {
        var result = await Sandbox.RunAsync("1 + 1", lastLineInteractive: false);

        result.Outputs.Should().BeEmpty();
    }

    [Test]
    public async Task Plt_show_and_a_trailing_pil_image_are_png_outputs()
    {
        var result = await Sandbox.RunAsync(
            "import matplotlib.pyplot as plt\nfrom PIL import Image\nplt.plot([1, 2, 3])\nplt.show()\nImage.new('RGB', (4, 4))",
            timeoutMs: 30_000);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Outputs.Select(o => o.Type).Should().Equal(DisplayOutput.DisplayData, DisplayOutput.ExecuteResult);
        result.Outputs[0].Data["text/plain"].Should().StartWith("<Figure size");
        foreach (var output in result.Outputs)
        {
            Convert.FromBase64String(output.Data["image/png"]).Take(4).Should().Equal(PngSignature);
        }
    }

    [Test]
    public async Task A_trailing_figure_is_an_execute_result_with_its_png()
    {
        var result = await Sandbox.RunAsync("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nfig", timeoutMs: 30_000);

        var item = result.Outputs.Should().ContainSingle().Subject;
        item.Type.Should().Be(DisplayOutput.ExecuteResult);
        Convert.FromBase64String(item.Data["image/png"]).Take(4).Should().Equal(PngSignature);
    }

    [Test]
    public async Task A_rich_form_that_fails_leaves_the_plain_one()
    {
        var result = await Sandbox.RunAsync("class Odd:\n    def _repr_html_(self):\n        raise ValueError('no html')\n    def __repr__(self):\n        return 'odd'\ndisplay(Odd())");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Outputs.Should().ContainSingle().Which.Data.Should().Equal(new Dictionary<string, string> { ["text/plain"] = "odd" });
    }

    [Test]
    public async Task Ipython_display_works_without_ipython()
    {
        var result = await Sandbox.RunAsync("from IPython.display import display, HTML, Markdown\ndisplay(HTML('<b>hi</b>'), Markdown('*m*'))");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Outputs.Should().HaveCount(2);
        result.Outputs[0].Data["text/html"].Should().Be("<b>hi</b>");
        result.Outputs[1].Data["text/markdown"].Should().Be("*m*");
    }

    [Test]
    public async Task Items_past_max_output_items_are_cut_and_flagged()
    {
        var result = await Sandbox.RunAsync(
            "for i in range(40):\n    display(i)", configure: r => r with { Limits = r.Limits with { MaxOutputItems = 5 } });

        result.Outputs.Select(o => o.Data["text/plain"]).Should().Equal("0", "1", "2", "3", "4");
        result.OutputsTruncated.Should().BeTrue();
    }

    [Test]
    public async Task A_forged_oversized_item_is_cut_by_the_service_and_listed_as_truncated()
    {
        var result = await Sandbox.RunAsync(
            ForgeLine + "forge('{\"type\": \"display_data\", \"data\": {\"text/plain\": \"' + 'x' * 300000 + '\"}}')\ndisplay('small')",
            maxOutputBytes: 100_000);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Outputs.Should().HaveCount(2);
        result.Outputs[0].Should().BeEquivalentTo(new { Type = DisplayOutput.DisplayData, Truncated = true });
        result.Outputs[0].Data.Should().BeEmpty("300 kB of text is over MAX_OUTPUT_BYTES");
        result.Outputs[1].Data["text/plain"].Should().Be("'small'");
    }

    [Test]
    public async Task Forged_mime_types_outside_the_allow_list_and_bad_images_are_cut()
    {
        var result = await Sandbox.RunAsync(
            ForgeLine + "forge('{\"type\": \"display_data\", \"data\": {\"text/plain\": \"p\", \"application/javascript\": \"alert(1)\", \"image/png\": \"not base64!\"}}')\nforge('not json')\nforge('{\"type\": \"stream\", \"data\": {}}')");

        result.Outputs.Should().HaveCount(3).And.OnlyContain(o => o.Truncated);
        result.Outputs[0].Data.Should().Equal(new Dictionary<string, string> { ["text/plain"] = "p" });
        result.Outputs[1].Data.Should().BeEmpty();
        result.Outputs[2].Data.Should().BeEmpty();
    }
}
