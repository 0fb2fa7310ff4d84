using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Api.Tests.Sessions;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary><c>requirements</c> on a server with no package source: what the image has runs, anything else is refused by name.</summary>
public sealed class RequirementsWithoutSourceTests : RealEngineApiTests
{
    [Test]
    public async Task Requirements_the_image_satisfies_run_as_today()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "import numpy; print('ok')", requirements = new[] { "NumPy>=1.20", "pandas" } });

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("ok\n");
    }

    [Test]
    public async Task Missing_packages_answer_422_naming_them_and_saying_no_source_is_configured()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", requirements = "numpy<1.0\nci-alpha  # a comment\n" });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Be("packages not available: ci-alpha, numpy (no package source configured)");
        body.GetProperty("errors").GetProperty("requirements").EnumerateArray().Should().ContainSingle();
    }

    [TestCase("-e ./pkg", "pip options")]
    [TestCase("--index-url http://127.0.0.1:1/simple", "pip options")]
    [TestCase("pkg @ http://127.0.0.1:1/pkg.whl", "URLs")]
    [TestCase("../pkg", "paths")]
    public async Task Options_urls_and_paths_answer_422_naming_the_line(string line, string reason)
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", requirements = new[] { "numpy", line } });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain(line).And.Contain(reason);
    }

    [Test]
    public async Task Requirements_of_another_type_answer_422()
    {
        var (status, body, _) = await Client.PostRawExecuteAsync("""{"code": "print(1)", "requirements": 5}""");

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().Contain("requirements must be a list");
    }

    [Test]
    public async Task Submitted_executions_and_sessions_refuse_missing_packages_up_front()
    {
        using var submitted = await Client.PostAsJsonAsync(new Uri("/v1/executions", UriKind.Relative), new { code = "print(1)", requirements = new[] { "ci-beta" } });
        using var session = await Client.PostAsJsonAsync(new Uri("/v1/sessions", UriKind.Relative), new { requirements = new[] { "ci-beta" } });

        ((int)submitted.StatusCode).Should().Be(422);
        ((int)session.StatusCode).Should().Be(422);
        (await session.ReadJsonAsync()).GetProperty("detail").GetString().Should().Contain("ci-beta");
    }

    [Test]
    public async Task The_facade_answers_400_with_the_exact_text_for_explicit_requirements_it_cannot_have()
    {
        var (status, body) = await PostEvalAsync("""{"code": "print(1)", "requirements_txt": "numpy\nci-beta==1.2.0\n"}""");

        status.Should().Be(400);
        body.GetProperty("error").GetString().Should().Be("packages not available: ci-beta (no package source configured)");
    }

    [Test]
    public async Task The_facade_notes_a_detected_import_it_cannot_have_on_stderr_and_runs_anyway()
    {
        const string code = "import json, numpy\\ntry:\\n    import ci_beta\\nexcept ImportError:\\n    print('without')";

        var (status, detected) = await PostEvalAsync($$"""{"code": "{{code}}"}""");
        var (_, off) = await PostEvalAsync($$"""{"code": "{{code}}", "requirements_txt": "-"}""");

        status.Should().Be(200, detected.ToString());
        detected.GetProperty("stdout").GetString().Should().Be("without\n");
        detected.GetProperty("stderr").GetString().Should().Be("note: not installed, and no package source is configured: ci_beta\n");
        off.GetProperty("stdout").GetString().Should().Be("without\n");
        (off.TryGetProperty("stderr", out var stderr) && stderr.ValueKind == JsonValueKind.String ? stderr.GetString() : null)
            .Should().BeNullOrEmpty("detection is off with '-'");
    }

    private async Task<(int Status, JsonElement Body)> PostEvalAsync(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(new Uri("/api/v1/eval", UriKind.Relative), content);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }
}
