using System.Security.Cryptography;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Domain.Executions;
using CodeInterpreter.Domain.Files;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>Binary input files against the real runner: their bytes reach the workspace unchanged.</summary>
[TestFixture]
public sealed class ProjectFilesTests : RealSandboxTests
{
    [Test]
    public async Task Every_byte_value_arrives_intact()
    {
        var bytes = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        WorkspacePath.TryParse("data/all.bin", out var path, out _).Should().BeTrue();

        var result = await Sandbox.RunAsync(
            "import hashlib\nprint(hashlib.sha256(open('data/all.bin', 'rb').read()).hexdigest())",
            configure: r => r with { InputFiles = [new SandboxInputFile(path!, bytes)] });

        result.Stdout.Should().Be(Convert.ToHexStringLower(SHA256.HashData(bytes)) + "\n");
    }

    [Test]
    public async Task An_entrypoint_with_a_byte_order_mark_runs_like_a_script()
    {
        WorkspacePath.TryParse("app/main.py", out var path, out _).Should().BeTrue();
        byte[] source = [0xEF, 0xBB, 0xBF, .. "print('caf\u00e9')\n"u8.ToArray()];

        var result = await Sandbox.RunAsync(
            string.Empty, configure: r => r with { InputFiles = [new SandboxInputFile(path!, source)], Entrypoint = "app/main.py" });

        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("caf\u00e9\n");
    }

    [Test]
    public async Task An_entrypoint_in_the_encoding_its_coding_cookie_names_runs()
    {
        byte[] source = [.. "# -*- coding: latin-1 -*-\nprint('caf"u8.ToArray(), 0xE9, .. "')\n"u8.ToArray()];

        var result = await RunEntrypointAsync(source);

        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("caf\u00e9\n");
    }

    [Test]
    public async Task An_entrypoint_that_is_not_utf8_without_a_cookie_is_the_codes_syntax_error()
    {
        byte[] source = [.. "print('caf"u8.ToArray(), 0xE9, .. "')\n"u8.ToArray()];

        var result = await RunEntrypointAsync(source);

        result.ExitCode.Should().Be(1);
        result.Error!.Type.Should().Be("SyntaxError");
        result.Error.Line.Should().Be(1);
    }

    private Task<ExecutionResult> RunEntrypointAsync(byte[] source)
    {
        WorkspacePath.TryParse("main.py", out var path, out _).Should().BeTrue();
        return Sandbox.RunAsync(
            string.Empty, configure: r => r with { InputFiles = [new SandboxInputFile(path!, source)], Entrypoint = "main.py" });
    }
}
