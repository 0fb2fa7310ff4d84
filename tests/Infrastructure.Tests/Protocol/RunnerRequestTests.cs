using System.Text.Json;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Files;
using CodeInterpreter.Infrastructure.Docker.Protocol;
using CodeInterpreter.Infrastructure.Options;

namespace CodeInterpreter.Infrastructure.Tests.Protocol;

public sealed class RunnerRequestTests
{
    private static readonly SandboxOptions Settings = new() { WorkspaceSizeMb = 2 };

    [Test]
    public void Request_frame_carries_the_program_the_files_and_the_entrypoint()
    {
        WorkspacePath.TryParse("data/x.txt", out var path, out _).Should().BeTrue();
        var request = new SandboxRequest(
            "exec-1", "print(1)", "in", LastLineInteractive: true, TimeSpan.FromSeconds(5), new SandboxLimits(256, 3, 1000))
        {
            InputFiles = [new SandboxInputFile(path!, "hi"u8.ToArray())],
            Entrypoint = "data/x.txt",
        };

        var frame = RunnerRequest.For(request, Settings).ToFrame();

        var json = JsonDocument.Parse(frame.AsMemory(4)).RootElement;
        json.EnumerateObject().Select(p => p.Name).Should().BeEquivalentTo(
            "code", "stdin", "last_line_interactive", "argv", "env", "cpu_time_limit_sec", "max_output_bytes",
            "fsize_limit_bytes", "nofile_limit", "max_files", "max_files_bytes", "max_output_items", "max_display_bytes",
            "files", "entrypoint", "eval_last_expression", "pre_commands");
        json.GetProperty("code").GetString().Should().Be("print(1)");
        json.GetProperty("max_output_bytes").GetInt64().Should().Be(1001, "one byte over the cap shows that output was cut");
        json.GetProperty("fsize_limit_bytes").GetInt64().Should().Be(2 * 1024 * 1024);
        json.GetProperty("max_files").GetInt32().Should().Be(0, "generated files are not collected without a sink");
        json.GetProperty("max_output_items").GetInt32().Should().Be(32);
        json.GetProperty("max_display_bytes").GetInt32().Should().Be((6 * 1000) + 65536, "the runner's bound is the service's display frame bound");
        json.GetProperty("files")[0].GetProperty("data").GetString().Should().Be(Convert.ToBase64String("hi"u8.ToArray()));
        json.GetProperty("entrypoint").GetString().Should().Be("data/x.txt");
        json.GetProperty("eval_last_expression").GetBoolean().Should().BeFalse("off unless asked for");
        json.GetProperty("pre_commands").GetArrayLength().Should().Be(0);
    }

    [Test]
    public void Request_frame_carries_eval_last_expression_and_the_pre_commands()
    {
        var request = new SandboxRequest(
            "exec-1", "1 + 1", null, LastLineInteractive: true, TimeSpan.FromSeconds(5), new SandboxLimits(256, 3, 1000))
        {
            EvalLastExpression = true,
            PreCommands = ["echo one", "ls"],
        };

        var json = JsonDocument.Parse(RunnerRequest.For(request, Settings).ToFrame().AsMemory(4)).RootElement;

        json.GetProperty("eval_last_expression").GetBoolean().Should().BeTrue();
        json.GetProperty("pre_commands").EnumerateArray().Select(e => e.GetString()).Should().Equal("echo one", "ls");
    }
}
