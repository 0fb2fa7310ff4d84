using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Application.Common.Exceptions;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class PyExecEnvVarsTests
{
    [Test]
    public void Name_equals_value_name_alone_and_values_holding_equals_signs()
    {
        var env = PyExecEnvVars.Parse(["A=1", "EMPTY", "URL=http://x/?a=b", "A=2", "BLANK="]);

        env.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["A"] = "2",
            ["EMPTY"] = string.Empty,
            ["URL"] = "http://x/?a=b",
            ["BLANK"] = string.Empty,
        });
    }

    [TestCase("=v")]
    [TestCase("")]
    public void An_entry_without_a_name_is_refused(string entry) =>
        FluentActions.Invoking(() => PyExecEnvVars.Parse([entry]))
            .Should().Throw<RequestValidationException>().Which.Field.Should().Be("env_vars");

    [Test]
    public void Absent_is_empty() => PyExecEnvVars.Parse(null).Should().BeEmpty();
}
