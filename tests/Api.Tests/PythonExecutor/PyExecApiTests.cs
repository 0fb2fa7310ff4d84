using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>The python-executor facade (/api/v1) on the real engine: each route as PYEXEC_API.md says it answers.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public class PyExecApiTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["MAX_FILES_MB_PER_EXECUTION"] = "1",
        ["PYEXEC_RESULT_TTL_SEC"] = "30",
    };

    [Test]
    public async Task Eval_runs_code_and_answers_the_result_object()
    {
        var (status, body) = await PostJsonAsync("/api/v1/eval", """{"code": "print(1)"}""", "application/json");

        status.Should().Be(200, body.ToString());
        body.GetProperty("execution_id").GetString().Should().MatchRegex("^exe_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
        body.GetProperty("status").GetString().Should().Be("completed");
        body.GetProperty("stdout").GetString().Should().Be("1\n");
        body.GetProperty("exit_code").GetRawText().Should().Be("0");
        body.GetProperty("duration_ms").ValueKind.Should().Be(JsonValueKind.Number);
        body.GetProperty("duration_ms").GetRawText().Should().NotContain(".");
        body.GetProperty("finished_at").GetString().Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$");
    }

    [Test]
    public async Task Eval_reads_any_content_type_as_json_and_reports_the_last_expression()
    {
        var (status, body) = await PostJsonAsync(
            "/api/v1/eval", """{"code": "x = 5\nprint('p')\nx * 2", "eval_last_expr": true}""", "text/plain");

        status.Should().Be(200, body.ToString());
        body.GetProperty("result").GetString().Should().Be("10");
        body.GetProperty("stdout").GetString().Should().Be("p\n");
    }

    [Test]
    public async Task Eval_adds_usage_beside_the_reference_fields()
    {
        var (status, body) = await PostJsonAsync("/api/v1/eval", """{"code": "print(1)"}""", "application/json");

        status.Should().Be(200, body.ToString());
        var usage = body.GetProperty("usage");
        usage.GetProperty("cpu_ms").GetInt64().Should().BeGreaterThanOrEqualTo(0);
        usage.GetProperty("peak_memory_bytes").GetInt64().Should().BePositive();
        usage.GetProperty("wall_ms").GetInt64().Should().BeInRange(0, body.GetProperty("duration_ms").GetInt64());
    }

    [Test]
    public async Task Eval_reads_a_form_encoded_body_as_json_as_curl_d_sends_it()
    {
        var (status, body) = await PostJsonAsync("/api/v1/eval", """{"code": "print(2 + 2)"}""", "application/x-www-form-urlencoded");

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("4\n");
    }

    [Test]
    public async Task Eval_of_a_traceback_is_completed_with_exit_code_1_its_type_and_the_users_line()
    {
        var (status, body) = await PostJsonAsync(
            "/api/v1/eval", """{"code": "a = 1\nb = 0\nprint(a / b)", "eval_last_expr": true}""", "application/json");

        status.Should().Be(200);
        body.GetProperty("status").GetString().Should().Be("completed");
        body.GetProperty("exit_code").GetInt32().Should().Be(1);
        body.GetProperty("error_type").GetString().Should().Be("ZeroDivisionError");
        body.GetProperty("error_line").GetInt32().Should().Be(3);
    }

    [Test]
    public async Task Eval_with_files_runs_the_first_file_by_default()
    {
        var (status, body) = await PostJsonAsync("/api/v1/eval", """
            {"files": [{"name": "app.py", "content": "from lib import N\nprint(N)"}, {"name": "lib.py", "content": "N = 7"}],
             "code": "print('ignored')"}
            """, "application/json");

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Be("7\n");
    }

    [TestCase("{}", 400, "code or files is required")]
    [TestCase("{not json", 400, "not valid JSON")]
    [TestCase("""{"code": 5}""", 400, "not valid JSON")]
    [TestCase("""{"code": "print(1)", "python_version": "2.7"}""", 400, "python_version '2.7' is not allowed")]
    public async Task Eval_refuses_bad_requests_with_an_error_field(string json, int expected, string message)
    {
        var (status, body) = await PostJsonAsync("/api/v1/eval", json, "application/json");

        status.Should().Be(expected);
        body.GetProperty("error").GetString().Should().Contain(message);
    }

    [Test]
    public async Task Eval_files_over_100_KB_in_total_are_413()
    {
        var big = new string('#', 60_000);
        var json = JsonSerializer.Serialize(new { files = new[] { new { name = "a.py", content = big }, new { name = "b.py", content = big } } });

        var (status, body) = await PostJsonAsync("/api/v1/eval", json, "application/json");

        status.Should().Be(413);
        body.GetProperty("error").GetString().Should().Contain("102400");
    }

    [TestCase(TarEntryFormat.Ustar, true)]
    [TestCase(TarEntryFormat.Pax, false)]
    public async Task Exec_sync_runs_a_nested_project_with_env_args_and_stdin(TarEntryFormat format, bool directoryEntries)
    {
        var tar = Tar(format, directoryEntries, ("main.py", """
            import os, sys
            from pkg.sub.mod import VALUE
            print(VALUE, os.environ["GREETING"], repr(os.environ["EMPTY"]), sys.argv[1:], input())
            """), ("pkg/__init__.py", ""), ("pkg/sub/__init__.py", ""), ("pkg/sub/mod.py", "VALUE = 'deep'"));
        var metadata = """{"entrypoint": "main.py", "env_vars": ["GREETING=hi there", "EMPTY"], "script_args": ["a", "b c"], "stdin": "typed\n"}""";

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", tar, metadata, metadataAsJson: true);

        status.Should().Be(200, body.ToString());
        body.GetProperty("status").GetString().Should().Be("completed");
        body.GetProperty("stdout").GetString().Should().Be("deep hi there '' ['a', 'b c'] typed\n");
    }

    [Test]
    public async Task Exec_sync_runs_pre_commands_first_and_stops_when_one_fails()
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "print(open('made.txt').read().strip())"));

        var (status, ok) = await PostFormAsync(
            "/api/v1/exec/sync", tar, """{"entrypoint": "main.py", "pre_commands": ["echo prepared > made.txt", "echo pre-out"]}""", metadataAsJson: false);
        status.Should().Be(200, ok.ToString());
        ok.GetProperty("stdout").GetString().Should().Be("pre-out\nprepared\n");

        var (_, failed) = await PostFormAsync(
            "/api/v1/exec/sync", tar, """{"entrypoint": "main.py", "pre_commands": ["echo before", "exit 3", "echo never"]}""", metadataAsJson: false);
        failed.GetProperty("status").GetString().Should().Be("completed");
        failed.GetProperty("exit_code").GetInt32().Should().Be(3);
        failed.GetProperty("stdout").GetString().Should().Be("before\n");
    }

    [Test]
    public async Task Exec_sync_past_its_timeout_is_failed()
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "import time\nprint('started', flush=True)\ntime.sleep(30)"));

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", tar, """{"entrypoint": "main.py", "config": {"timeout_seconds": 1}}""", metadataAsJson: true);

        status.Should().Be(200);
        body.GetProperty("status").GetString().Should().Be("failed");
        body.GetProperty("error").GetString().Should().Be("execution timeout after 1s");
        body.GetProperty("stdout").GetString().Should().Be("started\n");
    }

    [TestCase("../evil.py", "'..'")]
    [TestCase("/etc/evil.py", "absolute")]
    public async Task Exec_sync_refuses_names_outside_the_workspace(string name, string reason)
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "print(1)"), (name, "x"));

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", tar, """{"entrypoint": "main.py"}""", metadataAsJson: true);

        status.Should().Be(400);
        body.GetProperty("error").GetString().Should().Contain(reason);
    }

    [Test]
    public async Task Exec_sync_never_materialises_a_symlink_of_the_tar()
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "secret") { LinkName = "/etc/shadow" });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "main.py")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes("import os\nprint(sorted(os.listdir('.')), os.path.lexists('secret'))")),
            });
        }

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", stream.ToArray(), """{"entrypoint": "main.py"}""", metadataAsJson: true);

        status.Should().Be(200, body.ToString());
        body.GetProperty("stdout").GetString().Should().Contain("False").And.NotContain("secret'");
    }

    [Test]
    public async Task Exec_sync_over_the_per_execution_size_is_413_naming_the_limit()
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "print(1)"), ("data.bin", new string('d', 1_100_000)));

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", tar, """{"entrypoint": "main.py"}""", metadataAsJson: true);

        status.Should().Be(413);
        body.GetProperty("error").GetString().Should().Contain("1 MB");
    }

    [TestCase("""{"stdin": "x"}""", "entrypoint is required")]
    [TestCase("""{"entrypoint": "missing.py"}""", "not a file in the tar")]
    [TestCase("""{"entrypoint": "main.py", "config": {"network_disabled": false}}""", "network")]
    [TestCase("not json", "not valid JSON")]
    public async Task Exec_sync_refuses_bad_metadata_with_400(string metadata, string message)
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "print(1)"));

        var (status, body) = await PostFormAsync("/api/v1/exec/sync", tar, metadata, metadataAsJson: false);

        status.Should().Be(400, body.ToString());
        body.GetProperty("error").GetString().Should().ContainEquivalentOf(message);
    }

    [Test]
    public async Task Exec_async_is_pending_or_running_then_completed_when_polled()
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "print('async done')"));

        var (status, accepted) = await PostFormAsync("/api/v1/exec/async", tar, """{"entrypoint": "main.py"}""", metadataAsJson: true);

        status.Should().Be(202, accepted.ToString());
        var id = accepted.GetProperty("execution_id").GetString()!;
        id.Should().StartWith("exe_");
        var done = await PollUntilAsync(id, s => s is "completed" or "failed" or "killed");
        done.GetProperty("status").GetString().Should().Be("completed");
        done.GetProperty("stdout").GetString().Should().Be("async done\n");
        done.GetProperty("started_at").GetString().Should().EndWith("Z");
    }

    [Test]
    public async Task A_running_execution_is_killed_and_stays_killed()
    {
        var tar = Tar(TarEntryFormat.Pax, false, ("main.py", "import time\nprint('up', flush=True)\ntime.sleep(60)"));
        var (_, accepted) = await PostFormAsync("/api/v1/exec/async", tar, """{"entrypoint": "main.py", "config": {"timeout_seconds": 50}}""", metadataAsJson: true);
        var id = accepted.GetProperty("execution_id").GetString()!;
        await PollUntilAsync(id, s => s == "running");

        using var kill = await Client.DeleteAsync(new Uri($"/api/v1/executions/{id}", UriKind.Relative));

        ((int)kill.StatusCode).Should().Be(200);
        (await kill.ReadJsonAsync()).GetProperty("status").GetString().Should().Be("killed");
        var (_, after) = await GetAsync(id);
        after.GetProperty("status").GetString().Should().Be("killed");
        using var again = await Client.DeleteAsync(new Uri($"/api/v1/executions/{id}", UriKind.Relative));
        (await again.ReadJsonAsync()).GetProperty("status").GetString().Should().Be("killed");
    }

    [Test]
    public async Task Unknown_executions_are_404_with_an_error_field()
    {
        var (status, body) = await GetAsync("exe_00000000-0000-4000-8000-000000000000");
        status.Should().Be(404);
        body.GetProperty("error").GetString().Should().Contain("not found");

        using var kill = await Client.DeleteAsync(new Uri("/api/v1/executions/exe_nope", UriKind.Relative));
        ((int)kill.StatusCode).Should().Be(404);
    }

    private async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json, string contentType)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await Client.PostAsync(new Uri(path, UriKind.Relative), content);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<(int Status, JsonElement Body)> PostFormAsync(string path, byte[] tar, string metadata, bool metadataAsJson)
    {
        using var form = new MultipartFormDataContent();
        var tarPart = new ByteArrayContent(tar);
        tarPart.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(tarPart, "tar", "code.tar");
        // Python's client sends the metadata as application/json; Go's and curl as a plain field.
        var metadataPart = new StringContent(metadata, Encoding.UTF8);
        metadataPart.Headers.ContentType = metadataAsJson ? new MediaTypeHeaderValue("application/json") : null;
        form.Add(metadataPart, "metadata");
        using var response = await Client.PostAsync(new Uri(path, UriKind.Relative), form);
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<(int Status, JsonElement Body)> GetAsync(string id)
    {
        using var response = await Client.GetAsync(new Uri($"/api/v1/executions/{id}", UriKind.Relative));
        return ((int)response.StatusCode, await response.ReadJsonAsync());
    }

    private async Task<JsonElement> PollUntilAsync(string id, Func<string, bool> reached)
    {
        JsonElement last = default;
        var ok = await RealEngine.EventuallyAsync(async () =>
        {
            (_, last) = await GetAsync(id);
            return reached(last.GetProperty("status").GetString()!);
        }, TimeSpan.FromSeconds(60));
        ok.Should().BeTrue($"execution {id} should reach the status; last: {last}");
        return last;
    }

    private static byte[] Tar(TarEntryFormat format, bool directoryEntries, params (string Name, string Content)[] files)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, format, leaveOpen: true))
        {
            var folders = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, content) in files)
            {
                for (var slash = name.IndexOf('/', StringComparison.Ordinal); directoryEntries && slash > 0; slash = name.IndexOf('/', slash + 1))
                {
                    if (folders.Add(name[..(slash + 1)]))
                    {
                        writer.WriteEntry(format == TarEntryFormat.Ustar
                            ? new UstarTarEntry(TarEntryType.Directory, name[..(slash + 1)])
                            : new PaxTarEntry(TarEntryType.Directory, name[..(slash + 1)]));
                    }
                }

                TarEntry entry = format == TarEntryFormat.Ustar
                    ? new UstarTarEntry(TarEntryType.RegularFile, name)
                    : new PaxTarEntry(TarEntryType.RegularFile, name);
                entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                writer.WriteEntry(entry);
            }
        }

        return stream.ToArray();
    }
}
