using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Domain.Tests.Packages;

public sealed class RequirementTests
{
    [TestCase("Scikit_Learn>=1.0", "scikit-learn>=1.0")]
    [TestCase("requests[Security,socks] (<3, >=2.0)", "requests[security,socks]<3,>=2.0")]
    [TestCase("zope.interface==5.4.*", "zope-interface==5.4.*")]
    [TestCase("numpy ~= 1.24", "numpy~=1.24")]
    [TestCase("tqdm", "tqdm")]
    [TestCase("Foo>=1 ; python_version<'3.12' and (sys_platform=='linux' or os_name == \"posix\")",
        "foo>=1; python_version < \"3.12\" and (sys_platform == \"linux\" or os_name == \"posix\")")]
    public void Normalises_names_extras_and_clauses(string text, string expected)
    {
        Requirement.TryParse(text, out var requirement, out var error).Should().BeTrue(error);

        requirement!.ToString().Should().Be(expected);
    }

    [TestCase("-e .", "pip options")]
    [TestCase("--index-url http://evil.example/simple", "pip options")]
    [TestCase("-r other.txt", "pip options")]
    [TestCase("https://host/pkg.whl", "URLs")]
    [TestCase("pkg @ https://host/pkg.whl", "URLs")]
    [TestCase("./local/pkg", "paths")]
    [TestCase("/abs/pkg", "paths")]
    [TestCase("pkg-1.0.tar.gz", "paths")]
    [TestCase("pkg; pyton_version < '3.8'", "'pyton_version' is not a marker variable")]
    [TestCase("pkg; python_version < 3.8", "'3.8' is not a marker variable")]
    [TestCase("pkg; python_version < python_full_version", "must compare a marker variable with a quoted string")]
    [TestCase("pkg; (python_version < '3.8'", "'(' is not closed")]
    [TestCase("pkg; python_version", "comparison operator")]
    [TestCase("pkg @ https://host/pkg.whl ; python_version > '3'", "URLs")]
    [TestCase("pkg==1.0 --hash=sha256:abc", "per-requirement pip options")]
    [TestCase("pkg>=not-a-version", "no valid version")]
    [TestCase("pkg=>1", "not a version clause")]
    [TestCase("pkg>=1.*", "'.*'")]
    public void Refuses_lines_that_are_not_a_named_requirement(string text, string reason)
    {
        Requirement.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain(reason);
    }

    [TestCase("numpy>=1.20", "1.24.2", true)]
    [TestCase("numpy<1.20", "1.24.2", false)]
    [TestCase("numpy==1.24.*", "1.24.2", true)]
    [TestCase("numpy!=1.24.*", "1.24.2", false)]
    [TestCase("numpy~=1.21", "1.24.2", true)]
    [TestCase("numpy~=1.21.0", "1.24.2", false)]
    [TestCase("numpy==1.24.2", "1.24.2+deb1", true)]
    [TestCase("numpy<1.24.2", "1.24.2rc1", false)]
    [TestCase("numpy>1.24.2", "1.24.2.post1", false)]
    [TestCase("numpy>=1.0,<2", "2.0", false)]
    public void Knows_whether_an_installed_version_satisfies_it(string text, string installed, bool satisfied)
    {
        Requirement.TryParse(text, out var requirement, out _).Should().BeTrue();
        PackageVersion.TryParse(installed, out var version).Should().BeTrue();

        requirement!.IsSatisfiedBy(version!).Should().Be(satisfied);
    }

    [Test]
    public void A_set_is_the_same_whatever_the_spelling_order_and_comments()
    {
        RequirementSet.TryParse(["Foo_Bar>=1", "baz"], out var list, out _).Should().BeTrue();
        RequirementSet.TryParse(["# tools\nbaz  # the other\n\nfoo.bar \\\n >=1\n"], out var text, out var error).Should().BeTrue(error);

        text!.Lines.Should().Equal("baz", "foo-bar>=1");
        text.Hash.Should().Be(list!.Hash).And.HaveLength(64);
    }

    [Test]
    public void A_set_refuses_a_distribution_given_twice() =>
        RequirementSet.TryParse(["foo>=1", "FOO<2"], out _, out var error).Should().BeFalse();
}
