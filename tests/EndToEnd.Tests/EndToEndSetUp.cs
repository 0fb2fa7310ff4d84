using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.EndToEnd.Tests;

/// <summary>Every test here needs the real engine and the executor image: a failure in CI, a skip elsewhere.</summary>
[SetUpFixture]
public sealed class EndToEndSetUp
{
    [OneTimeSetUp]
    public Task Require_the_real_engine() => RealEngine.RequireAsync();
}
