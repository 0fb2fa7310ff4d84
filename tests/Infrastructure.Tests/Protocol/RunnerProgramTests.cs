using System.Text.Json;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Infrastructure.Options;
using CodeInterpreter.Infrastructure.Sessions;

namespace CodeInterpreter.Infrastructure.Tests.Protocol;

public sealed class RunnerProgramTests
{
    private static readonly SandboxOptions Settings = new() { WorkspaceSizeMb = 2, NofileLimit = 64 };

    private static readonly SandboxRequest Request = new(
        "exec-1", "print(1)", "in", LastLineInteractive: true, TimeSpan.FromSeconds(5), new SandboxLimits(256, 3, 1000))
    {
        Argv = ["a"],
        Env = new Dictionary<string, string> { ["K"] = "V" },
        InputFiles = [new SandboxInputFile(Path("data/x.txt"), "hi"u8.ToArray())],
        Entrypoint = "data/x.txt",
    };

    private static WorkspacePath Path(string raw) => WorkspacePath.TryParse(raw, out var path, out _) ? path : throw new ArgumentException(raw);

    private static JsonElement Json(byte[] frame) => JsonDocument.Parse(frame.AsMemory(4)).RootElement;

    [Test]
    public void Request_frame_carries_the_program_the_files_and_the_entrypoint()
    {
        var json = Json(RunnerRequest.For(Request, Settings).ToFrame());

        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            "code", "stdin", "last_line_interactive", "argv", "env", "cpu_time_limit_sec", "max_output_bytes",
            "fsize_limit_bytes", "nofile_limit", "max_files", "max_files_bytes", "files", "entrypoint");
        json.GetProperty("code").GetString().Should().Be("print(1)");
        json.GetProperty("max_output_bytes").GetInt64().Should().Be(1001, "one byte over the cap shows that output was cut");
        json.GetProperty("fsize_limit_bytes").GetInt64().Should().Be(2 * 1024 * 1024);
        json.GetProperty("max_files").GetInt32().Should().Be(0, "generated files are not collected without a sink");
        json.GetProperty("files")[0].GetProperty("data").GetString().Should().Be(Convert.ToBase64String("hi"u8.ToArray()));
        json.GetProperty("entrypoint").GetString().Should().Be("data/x.txt");
    }

    [Test]
    public void Session_cell_carries_the_same_program_with_its_op_and_grace()
    {
        var json = Json(SessionExecuteOp.For(Request, Settings, TimeSpan.FromSeconds(2)).ToFrame());

        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            "op", "code", "stdin", "last_line_interactive", "argv", "env", "cpu_time_limit_sec", "max_output_bytes",
            "fsize_limit_bytes", "nofile_limit", "max_files", "max_files_bytes", "interrupt_grace_ms");
        json.GetProperty("op").GetString().Should().Be("execute");
        json.GetProperty("env").GetProperty("K").GetString().Should().Be("V");
        json.GetProperty("interrupt_grace_ms").GetInt32().Should().Be(2000);
    }
}
