using System.ComponentModel.DataAnnotations;
using CodeInterpreter.Infrastructure.Options;

namespace CodeInterpreter.Infrastructure.Tests.Options;

public sealed class PooledRequirementSetsTests
{
    private static IReadOnlyList<string> Errors(string? environments, int size = 1)
    {
        var options = new PoolOptions { Environments = environments, EnvironmentSize = size };
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public void No_setting_means_no_pooled_sets(string? value)
    {
        Errors(value).Should().BeEmpty();
        new PoolOptions { Environments = value }.EnvironmentSets.Should().BeEmpty();
    }

    [Test]
    public void Sets_are_normalised_like_a_requests_requirements_and_may_hold_commas_and_markers()
    {
        var options = new PoolOptions { Environments = """[["CI_Alpha"], ["pandas>=2,<3; python_version >= '3.9'", "NumPy"]]""" };

        Errors(options.Environments).Should().BeEmpty();
        options.EnvironmentSets.Select(s => s.Lines).Should().HaveCount(2);
        options.EnvironmentSets[0].Lines.Should().Equal("ci-alpha");
        options.EnvironmentSets[1].Lines[0].Should().Be("numpy");
        options.EnvironmentSets[1].Lines[1].Should().StartWith("pandas");
    }

    [TestCase("numpy", "must be a JSON array of requirement sets")]
    [TestCase("""["numpy", "pandas"]""", "must be a JSON array of requirement sets")]
    [TestCase("""[["numpy"], [null]]""", "must be a JSON array of requirement sets")]
    [TestCase("""[["numpy"], []]""", "set 2 [] is empty")]
    [TestCase("""[["numpy"], ["-e ./pkg"]]""", "set 2 [\"-e ./pkg\"]")]
    [TestCase("""[["numpy"], ["pkg @ http://127.0.0.1/pkg.whl"]]""", "set 2")]
    [TestCase("""[["NumPy", "pandas"], ["pandas", "numpy"]]""", "set 2 [\"pandas\",\"numpy\"] is the same requirement set as set 1")]
    public void An_invalid_setting_is_refused_naming_the_variable_and_the_bad_set(string value, string expected)
    {
        Errors(value).Should().ContainSingle().Which.Should().StartWith("POOL_ENVIRONMENTS ").And.Contain(expected);
    }

    [Test]
    public void At_most_sixteen_sets_may_be_pooled() =>
        Errors("[" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"[\"pkg{i}\"]")) + "]")
            .Should().ContainSingle().Which.Should().Contain("at most 16");

    [TestCase(0)]
    [TestCase(17)]
    public void The_warm_count_per_set_is_bounded(int size) =>
        Errors(null, size).Should().ContainSingle().Which.Should().StartWith("POOL_ENVIRONMENT_SIZE must be between 1 and 16");
}
