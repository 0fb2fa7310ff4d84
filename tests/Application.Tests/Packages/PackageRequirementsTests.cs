using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Tests.Fakes;
using CodeInterpreter.Domain.Executions;

namespace CodeInterpreter.Application.Tests.Packages;

/// <summary>What an execution's <c>requirements</c> (and detected imports) become before it runs.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class PackageRequirementsTests : IDisposable
{
    private readonly ApplicationUnderTest _app = new();

    public PackageRequirementsTests() => _app.Readiness.MarkReady();

    public void Dispose() => _app.Dispose();

    private static ExecuteCodeCommand Command(string code = "print(1)", params string[] requirements) =>
        new(code, null, 2000, true, []) { Requirements = requirements };

    [Test]
    public async Task Requirements_the_image_satisfies_need_no_environment()
    {
        await _app.Send(Command("import numpy", "NumPy>=1.20,<2"));

        _app.Sandbox.Received!.PackageEnvironment.Should().BeNull();
        _app.Packages.Built.Should().BeEmpty();
    }

    [Test]
    public async Task Missing_requirements_without_a_package_source_are_refused_naming_them()
    {
        var run = async () => await _app.Send(Command("print(1)", "tqdm", "numpy<1.0", "Rich_Text"));

        var refusal = await run.Should().ThrowAsync<RequestValidationException>();
        refusal.Which.Field.Should().Be("requirements");
        refusal.Which.Message.Should().Be("packages not available: numpy, rich-text, tqdm (no package source configured)");
        _app.Sandbox.Received.Should().BeNull();
    }

    [Test]
    public async Task Missing_requirements_with_a_package_source_are_built_and_mounted()
    {
        _app.Packages.Source = "the wheelhouse /w";

        await _app.Send(Command("import tqdm", "tqdm>=4", "numpy"));

        _app.Packages.Built.Should().ContainSingle().Which.Lines.Should().Equal("tqdm>=4");
        _app.Sandbox.Received!.PackageEnvironment.Should().StartWith("env-");
    }

    [Test]
    public async Task Environment_markers_are_evaluated_against_the_image_and_what_does_not_apply_is_left_out()
    {
        _app.Packages.Source = "the wheelhouse /w";

        await _app.Send(Command(
            "print(1)", "tomli; python_version < '3.11'", "tqdm>=4; sys_platform == 'linux'", "pywin32; sys_platform == 'win32'"));

        _app.Packages.Built.Should().ContainSingle().Which.Lines.Should().Equal("tqdm>=4");
    }

    [Test]
    public async Task Requirements_whose_markers_all_fail_on_the_image_need_nothing_even_without_a_source()
    {
        await _app.Send(Command("print(1)", "pywin32; sys_platform == 'win32'"));

        _app.Sandbox.Received!.PackageEnvironment.Should().BeNull();
        _app.Packages.Built.Should().BeEmpty();
    }

    [TestCase("-e ./pkg")]
    [TestCase("--index-url http://elsewhere/simple")]
    [TestCase("https://host/pkg.whl")]
    public async Task Options_urls_and_paths_are_refused_before_anything_runs(string line)
    {
        var run = async () => await _app.Send(Command("print(1)", line));

        (await run.Should().ThrowAsync<RequestValidationException>()).Which.Message.Should().Contain(line);
    }

    [Test]
    public async Task A_detected_import_that_cannot_be_had_is_a_note_on_stderr_never_a_refusal()
    {
        var code = "import json, numpy\nfrom helpers import x\ntry:\n    import missing_mod.sub\nexcept ImportError:\n    pass\n";
        var command = Command(code) with { DetectImports = true, Sources = [new SourceFile("helpers.py", "x = 1")] };

        var result = await _app.Send(command);

        result.Stderr.Should().StartWith("note: not installed, and no package source is configured: missing_mod\n");
        _app.Sandbox.Received!.PackageEnvironment.Should().BeNull();
    }

    [Test]
    public async Task With_a_source_a_detected_import_that_fails_to_build_falls_back_to_the_explicit_requirements()
    {
        _app.Packages.Source = "the wheelhouse /w";
        _app.Packages.Unbuildable.Add("not-on-index");

        var result = await _app.Send(Command("import not_on_index", "tqdm") with { DetectImports = true });

        _app.Packages.Built.Should().ContainSingle().Which.Lines.Should().Equal("tqdm");
        result.Stderr.Should().StartWith("note: detected imports could not be installed from the wheelhouse /w: not_on_index");
    }

    [Test]
    public async Task With_a_wheelhouse_a_detected_import_is_installed_as_the_distribution_that_provides_it()
    {
        _app.Packages.Source = "the wheelhouse /w";
        _app.Packages.SourceModules = new() { ["yaml_tools"] = "pyyaml-tools" };

        var result = await _app.Send(Command("import yaml_tools\nimport nowhere_mod") with { DetectImports = true });

        _app.Packages.Built.Should().ContainSingle().Which.Lines.Should().Equal("pyyaml-tools");
        result.Stderr.Should().StartWith("note: detected imports are not in the wheelhouse /w: nowhere_mod\n");
    }
}
