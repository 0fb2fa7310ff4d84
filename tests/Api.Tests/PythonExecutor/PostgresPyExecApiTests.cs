namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>The python-executor facade with its async executions kept in PostgreSQL: every test of <see cref="PyExecApiTests"/> again.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class PostgresPyExecApiTests : PyExecApiTests
{
    protected override bool SharesStateInPostgres => true;
}
