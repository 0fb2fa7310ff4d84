using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Domain.Tests.Packages;

public sealed class PackageVersionTests
{
    [TestCase("1.0", "1.0.0", 0)]
    [TestCase("1.0.dev1", "1.0a1", -1)]
    [TestCase("1.0a1", "1.0b1", -1)]
    [TestCase("1.0rc1", "1.0", -1)]
    [TestCase("1.0", "1.0.post1", -1)]
    [TestCase("1.0.post1.dev1", "1.0.post1", -1)]
    [TestCase("1!0.1", "2.0", 1)]
    [TestCase("1.10", "1.9", 1)]
    [TestCase("1.0-RC.1", "1.0rc1", 0)]
    [TestCase("1.24.2", "1.24.2+deb1", -1)]
    public void Orders_versions_as_pep_440_does(string left, string right, int expected)
    {
        PackageVersion.TryParse(left, out var l).Should().BeTrue();
        PackageVersion.TryParse(right, out var r).Should().BeTrue();

        Math.Sign(l!.CompareTo(r)).Should().Be(expected);
    }

    [TestCase("")]
    [TestCase("one")]
    [TestCase("1.0-beta-gamma")]
    [TestCase("1..0")]
    public void Rejects_what_is_not_a_version(string text) =>
        PackageVersion.TryParse(text, out _).Should().BeFalse();
}
