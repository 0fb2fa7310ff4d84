using System.Net.Http.Json;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>POST /v1/execute's optional <c>usage</c> and <c>outputs</c> beside the reference fields.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class RichResultsTests : RealEngineApiTests
{
    [Test]
    public async Task A_dataframe_and_a_chart_are_outputs_the_chart_still_a_file_and_usage_is_measured()
    {
        var (status, body) = await Client.PostExecuteAsync(new
        {
            code = "import pandas as pd\nimport matplotlib.pyplot as plt\ndf = pd.DataFrame({'city': ['Oslo', 'Lima'], 'temp': [4.5, 19.0]})\ndf.plot.bar(x='city', y='temp')\nplt.show()\ndf",
            timeout_ms = 30_000,
        });
        TestContext.Out.WriteLine(body.ToString());

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Contain("Oslo", "the trailing expression is still echoed for reference clients");
        var outputs = body.GetProperty("outputs");
        outputs.GetArrayLength().Should().Be(2);
        outputs[0].GetProperty("type").GetString().Should().Be("display_data");
        outputs[0].GetProperty("data").GetProperty("image/png").GetString().Should().StartWith("iVBORw0KGgo", "a base64 PNG");
        outputs[1].GetProperty("type").GetString().Should().Be("execute_result");
        outputs[1].GetProperty("data").GetProperty("text/html").GetString().Should().Contain("<td>Oslo</td>");
        var json = outputs[1].GetProperty("data").GetProperty("application/json");
        json.GetProperty("records")[1].GetProperty("temp").GetDouble().Should().Be(19.0);
        outputs[1].GetProperty("truncated").GetBoolean().Should().BeFalse();
        body.GetProperty("outputs_truncated").GetBoolean().Should().BeFalse();
        body.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).Should().Contain("figure_1.png");
        var usage = body.GetProperty("usage");
        usage.GetProperty("cpu_ms").GetInt64().Should().BePositive();
        usage.GetProperty("peak_memory_bytes").GetInt64().Should().BeGreaterThan(10L * 1024 * 1024, "pandas alone takes more");
        usage.GetProperty("wall_ms").GetInt64().Should().BeInRange(1, body.GetProperty("duration_ms").GetInt64());
    }

    [Test]
    public async Task A_background_execution_reports_usage_and_outputs_in_its_result()
    {
        using var submit = await Client.PostAsJsonAsync(new Uri("/v1/executions", UriKind.Relative), new { code = "display({'a': 1})" });
        var id = (await submit.ReadJsonAsync()).GetProperty("execution_id").GetString()!;

        JsonElement result = default;
        var done = await RealEngine.EventuallyAsync(
            async () =>
            {
                using var poll = await Client.GetAsync(new Uri($"/v1/executions/{id}", UriKind.Relative));
                var job = await poll.ReadJsonAsync();
                result = job.TryGetProperty("result", out var r) ? r : default;
                return job.GetProperty("status").GetString() == "completed";
            },
            TimeSpan.FromSeconds(60));

        done.Should().BeTrue();
        result.GetProperty("outputs")[0].GetProperty("data").GetProperty("text/plain").GetString().Should().Be("{'a': 1}");
        result.GetProperty("usage").GetProperty("wall_ms").GetInt64().Should().BeGreaterThanOrEqualTo(0);
        result.GetProperty("usage").GetProperty("cpu_ms").ValueKind.Should().Be(JsonValueKind.Number);
    }
}
