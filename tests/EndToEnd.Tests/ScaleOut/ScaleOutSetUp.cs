namespace CodeInterpreter.EndToEnd.Tests.ScaleOut;

/// <summary>
/// One compose deployment for the scale-out tests of this namespace: up once (deploy/compose.sh up),
/// down at the end (deploy/compose.sh down), whatever the tests did to it.
/// </summary>
[SetUpFixture]
public sealed class ScaleOutSetUp
{
    private static ComposeDeployment? _deployment;

    /// <summary>The deployment the tests of this namespace share.</summary>
    internal static ComposeDeployment Deployment => _deployment ?? throw new InvalidOperationException("the compose deployment is not up");

    [OneTimeSetUp]
    public async Task Bring_the_deployment_up()
    {
        await ComposeDeployment.RequireComposeAsync();
        _deployment = await ComposeDeployment.UpAsync();
    }

    [OneTimeTearDown]
    public async Task Take_the_deployment_down()
    {
        if (_deployment is not null)
        {
            await _deployment.DownAsync();
        }
    }
}
