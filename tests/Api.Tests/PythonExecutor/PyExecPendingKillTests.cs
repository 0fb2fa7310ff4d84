using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>A pending execution (waiting for the one slot) can be killed: it never runs and stays killed.</summary>
[TestFixture]
public sealed class PyExecPendingKillTests : RealEngineApiTests
{
    protected override IReadOnlyDictionary<string, string?>? Settings { get; } = new Dictionary<string, string?>
    {
        ["MAX_CONCURRENT_EXECUTIONS"] = "1",
    };

    [Test]
    public async Task A_pending_execution_is_killed_before_it_runs()
    {
        var busy = await SubmitAsync("import time\nprint('busy', flush=True)\ntime.sleep(60)");
        (await PollAsync(busy, "running")).Should().BeTrue("the first execution takes the only slot");
        var pending = await SubmitAsync("open('ran.txt', 'w').write('x')\nprint('ran')");
        (await StatusAsync(pending)).GetProperty("status").GetString().Should().Be("pending");

        using var kill = await Client.DeleteAsync(new Uri($"/api/v1/executions/{pending}", UriKind.Relative));

        ((int)kill.StatusCode).Should().Be(200);
        (await kill.ReadJsonAsync()).GetProperty("status").GetString().Should().Be("killed");
        using var freeSlot = await Client.DeleteAsync(new Uri($"/api/v1/executions/{busy}", UriKind.Relative));
        var after = await StatusAsync(pending);
        after.GetProperty("status").GetString().Should().Be("killed");
        after.GetProperty("started_at").ValueKind.Should().Be(JsonValueKind.Null, "it never started");
        after.GetProperty("stdout").ValueKind.Should().Be(JsonValueKind.Null);
    }

    private async Task<string> SubmitAsync(string code)
    {
        using var tarStream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tarStream, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "main.py")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(code)),
            });
        }

        using var form = new MultipartFormDataContent();
        var tar = new ByteArrayContent(tarStream.ToArray());
        tar.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(tar, "tar", "code.tar");
        form.Add(new StringContent("""{"entrypoint": "main.py", "config": {"timeout_seconds": 50}}"""), "metadata");
        using var response = await Client.PostAsync(new Uri("/api/v1/exec/async", UriKind.Relative), form);
        ((int)response.StatusCode).Should().Be(202);
        return (await response.ReadJsonAsync()).GetProperty("execution_id").GetString()!;
    }

    private async Task<JsonElement> StatusAsync(string id)
    {
        using var response = await Client.GetAsync(new Uri($"/api/v1/executions/{id}", UriKind.Relative));
        return await response.ReadJsonAsync();
    }

    private Task<bool> PollAsync(string id, string status) => RealEngine.EventuallyAsync(
        async () => (await StatusAsync(id)).GetProperty("status").GetString() == status, TimeSpan.FromSeconds(60));
}
