using System.Diagnostics;
using System.Net;
using CodeInterpreter.Tests.Shared;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>
/// The facade driven over real sockets by a client written from PYEXEC_API.md's description of
/// python-executor's Python client (Scripts/pyexec_client.py): eval, exec/sync with both metadata
/// styles, exec/async polled every 2 s, kill, and every timestamp parsed by Python 3.10's rules.
/// </summary>
[TestFixture]
public sealed class PyExecPythonClientTests
{
    private ApiFactory _factory = null!;
    private Uri _address = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _factory = new ApiFactory();
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        _address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var client = new HttpClient { BaseAddress = _address };
        var ready = await RealEngine.EventuallyAsync(
            async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60));
        ready.Should().BeTrue("the service should become ready");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _factory.DisposeAsync();

    [Test]
    public async Task The_python_client_runs_every_route_against_the_facade()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "PythonExecutor", "Scripts", "pyexec_client.py");

        var (exitCode, output, error) = await ChildProcess.RunAsync(
            new ProcessStartInfo("python3", [script, _address.ToString()]), TimeSpan.FromSeconds(180), "the python-executor client");

        exitCode.Should().Be(0, "the client said: {0}{1}", output, error);
        output.Should().EndWith("ALL OK\n");
    }
}
