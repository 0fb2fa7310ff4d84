using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// A fixture whose tests run sandboxes through one <see cref="SandboxFixture"/> (the Docker sandbox
/// provider on the real engine): made before the first test, disposed after the last; under the
/// runtime the fixture names (runc unless a subclass asks for another).
/// </summary>
public abstract class RealSandboxTests(string runtime = "runc")
{
    /// <summary>The container runtime of this fixture's sandboxes.</summary>
    protected string Runtime { get; } = runtime;

    internal SandboxFixture Sandbox { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSandboxesAsync()
    {
        await RealEngine.RequireAsync();
        await RealEngine.RequireRuntimeAsync(Runtime);
        Sandbox = new SandboxFixture(runtime: Runtime);
    }

    [OneTimeTearDown]
    public async Task StopSandboxesAsync()
    {
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }
    }
}
