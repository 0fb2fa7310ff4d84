using System.Text.Json;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Infrastructure.Sessions;

namespace CodeInterpreter.Infrastructure.Tests.Sessions;

public sealed class SessionExecuteOpTests
{
    [Test]
    public void Cell_carries_the_program_of_a_one_shot_request_with_its_op_and_grace()
    {
        var request = new SandboxRequest(
            "cell-1", "x += 1", Stdin: null, LastLineInteractive: false, TimeSpan.FromSeconds(1), new SandboxLimits(128, 2, 500))
        {
            Env = new Dictionary<string, string> { ["K"] = "V" },
        };

        var frame = SessionExecuteOp.For(request, new SandboxOptions { NofileLimit = 64 }, TimeSpan.FromSeconds(2)).ToFrame();

        var json = JsonDocument.Parse(frame.AsMemory(4)).RootElement;
        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            "op", "code", "stdin", "last_line_interactive", "argv", "env", "cpu_time_limit_sec", "max_output_bytes",
            "fsize_limit_bytes", "nofile_limit", "max_files", "max_files_bytes", "max_output_items", "max_display_bytes",
            "interrupt_grace_ms");
        json.GetProperty("op").GetString().Should().Be("execute");
        json.GetProperty("env").GetProperty("K").GetString().Should().Be("V");
        json.GetProperty("nofile_limit").GetInt32().Should().Be(64);
        json.GetProperty("interrupt_grace_ms").GetInt32().Should().Be(2000);
    }
}
