using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>Every bad input gets its status code and an RFC 7807 body, through the HTTP pipeline.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecuteValidationTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?> { ["MAX_CODE_BYTES"] = "100" };

    private static void ShouldBeProblem(int status, JsonElement body, int expectedStatus, string detailContains)
    {
        status.Should().Be(expectedStatus);
        body.GetProperty("status").GetInt32().Should().Be(expectedStatus);
        body.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        body.GetProperty("detail").GetString().Should().Contain(detailContains);
    }

    [TestCase("{\"code\": \"print(1)\"", "body")]
    [TestCase("not json at all", "body")]
    [TestCase("{\"code\": 5}", "code")]
    [TestCase("{\"code\": \"print(1)\", \"timeout_ms\": \"10\"}", "timeout_ms")]
    [TestCase("{\"code\": \"print(1)\", \"last_line_interactive\": \"yes\"}", "last_line_interactive")]
    [TestCase("{\"stdin\": \"x\"}", "code")]
    [TestCase("{\"code\": null}", "code")]
    public async Task Malformed_requests_answer_422_problem_details(string json, string detailContains)
    {
        var (status, body, response) = await Client.PostRawExecuteAsync(json);

        ShouldBeProblem(status, body, 422, detailContains);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [TestCase("")]
    [TestCase("   \n")]
    public async Task Empty_code_answers_422(string code)
    {
        var (status, body) = await Client.PostExecuteAsync(new { code });

        ShouldBeProblem(status, body, 422, "code must not be empty");
    }

    [Test]
    public async Task Code_over_the_size_limit_answers_422()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)  # " + new string('x', 200) });

        ShouldBeProblem(status, body, 422, "code exceeds maximum of 100 bytes");
    }

    [TestCase(0)]
    [TestCase(-5)]
    public async Task Timeout_below_one_answers_422(int timeoutMs)
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", timeout_ms = timeoutMs });

        ShouldBeProblem(status, body, 422, "timeout_ms must be at least 1 ms");
    }

    [Test]
    public async Task Timeout_over_the_maximum_answers_422_in_the_reference_words()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", timeout_ms = 60_001 });

        ShouldBeProblem(status, body, 422, "timeout_ms exceeds maximum of 60000 ms");
    }

    [Test]
    public async Task Timeout_at_the_maximum_is_accepted()
    {
        var (status, _) = await Client.PostExecuteAsync(new { code = "print(1)", timeout_ms = 60_000 });

        status.Should().Be(200);
    }

    [TestCase("/etc/passwd", "absolute")]
    [TestCase("../escape.txt", "..")]
    [TestCase("a/../../b", "..")]
    [TestCase("", "empty")]
    [TestCase("a\0b.csv", "control characters")]
    [TestCase("runner.py", "runner's own name")]
    public async Task Illegal_file_paths_answer_422_naming_the_problem(string path, string problem)
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", files = new[] { new { path, file_id = "abc" } } });

        ShouldBeProblem(status, body, 422, "File paths must");
        body.GetProperty("detail").GetString().Should().Contain(problem);
    }

    [Test]
    public async Task A_file_path_over_the_length_limit_answers_422()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", files = new[] { new { path = new string('a', 300), file_id = "abc" } } });

        status.Should().Be(422);
        body.GetProperty("detail").GetString().Should().StartWith("File paths must be at most 255 characters");
    }

    [Test]
    public async Task Unknown_file_id_answers_404_not_found()
    {
        var (status, body) = await Client.PostExecuteAsync(new { code = "print(1)", files = new[] { new { path = "data.csv", file_id = "nope" } } });

        ShouldBeProblem(status, body, 404, "File with ID 'nope' not found");
    }
}
