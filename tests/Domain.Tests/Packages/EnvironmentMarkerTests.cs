using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Domain.Tests.Packages;

public sealed class EnvironmentMarkerTests
{
    // What Debian 12's python3 reports (packaging.markers.default_environment(), trimmed).
    private static readonly Dictionary<string, string> Bookworm = new()
    {
        ["os_name"] = "posix",
        ["sys_platform"] = "linux",
        ["platform_machine"] = "x86_64",
        ["platform_python_implementation"] = "CPython",
        ["platform_system"] = "Linux",
        ["python_version"] = "3.11",
        ["python_full_version"] = "3.11.2",
        ["implementation_name"] = "cpython",
        ["implementation_version"] = "3.11.2",
    };

    [TestCase("python_version >= '3.8'", true)]
    [TestCase("python_version < '3.8'", false)]
    [TestCase("python_version < '3.12'", true)]
    [TestCase("python_version > '3.9'", true, Description = "as versions: 3.11 > 3.9, though '3.11' < '3.9' as strings")]
    [TestCase("python_full_version == '3.11.*'", true)]
    [TestCase("python_version ~= '3.10'", true)]
    [TestCase("'3.12' > python_version", true, Description = "the variable on the right")]
    [TestCase("sys_platform == 'win32'", false)]
    [TestCase("sys_platform != 'win32'", true)]
    [TestCase("platform_machine in 'x86_64 aarch64'", true)]
    [TestCase("platform_machine not in 'x86_64 aarch64'", false)]
    [TestCase("sys_platform == 'darwin' or python_version >= '3'", true)]
    [TestCase("sys_platform == 'linux' and python_version < '3'", false)]
    [TestCase("(sys_platform == 'darwin' or sys_platform == 'linux') and implementation_name == 'cpython'", true)]
    [TestCase("extra == 'test'", false, Description = "a top-level requirement has no extra")]
    [TestCase("os.name == 'posix'", true, Description = "the PEP 345 spelling")]
    public void Evaluates_against_the_image_s_environment(string text, bool expected)
    {
        EnvironmentMarker.TryParse(text, out var marker, out var error).Should().BeTrue(error);

        marker!.Evaluate(Bookworm).Should().Be(expected);
    }

    [Test]
    public void And_binds_tighter_than_or()
    {
        EnvironmentMarker.TryParse("sys_platform == 'linux' or sys_platform == 'win32' and python_version < '3'", out var marker, out _)
            .Should().BeTrue();

        marker!.Evaluate(Bookworm).Should().BeTrue();
        marker.Text.Should().Be("sys_platform == \"linux\" or sys_platform == \"win32\" and python_version < \"3\"");
    }

    [TestCase("")]
    [TestCase("python_version <")]
    [TestCase("python_version < '3.8' or")]
    [TestCase("python_version < '3.8' junk")]
    [TestCase("'a' == 'b'")]
    [TestCase("__import__('os') == 'x'")]
    public void Refuses_what_is_not_a_marker(string text)
    {
        EnvironmentMarker.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().StartWith("environment marker: ");
    }

    [Test]
    public void A_set_keeps_what_applies_to_the_image_without_its_markers()
    {
        RequirementSet.TryParse(
            ["futures; python_version < '3'", "tomli>=1; python_version < '3.11'", "numpy; sys_platform == 'linux'", "attrs"],
            out var set, out var error).Should().BeTrue(error);

        set!.TryForEnvironment(Bookworm, out var applying, out error).Should().BeTrue(error);

        applying!.Lines.Should().Equal("attrs", "numpy");
    }

    [Test]
    public void A_distribution_may_be_named_once_per_environment()
    {
        RequirementSet.TryParse(["pkg<2; python_version < '3.10'", "pkg>=2; python_version >= '3.10'"], out var set, out var error)
            .Should().BeTrue(error);
        set!.TryForEnvironment(Bookworm, out var applying, out error).Should().BeTrue(error);
        applying!.Lines.Should().Equal("pkg>=2");

        RequirementSet.TryParse(["pkg<2; python_version >= '3'", "pkg>=2; sys_platform == 'linux'"], out var overlapping, out _).Should().BeTrue();
        overlapping!.TryForEnvironment(Bookworm, out _, out error).Should().BeFalse();
        error.Should().Contain("'pkg' is required twice");
    }
}
