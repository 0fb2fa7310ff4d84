using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Infrastructure.Tests.Docker;

/// <summary>
/// A fixture whose tests run sandboxes through one <see cref="SandboxFixture"/> (the Docker sandbox
/// provider on the real engine): made before the first test, disposed after the last.
/// </summary>
public abstract class RealSandboxTests
{
    internal SandboxFixture Sandbox { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSandboxesAsync()
    {
        await RealEngine.RequireAsync();
        Sandbox = new SandboxFixture();
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
