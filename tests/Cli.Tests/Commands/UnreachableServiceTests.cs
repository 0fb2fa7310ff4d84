using System.Net;
using System.Net.Sockets;

namespace CodeInterpreter.Cli.Tests.Commands;

/// <summary>No service answers: no engine is needed for these.</summary>
[TestFixture]
public sealed class UnreachableServiceTests
{
    private static string ClosedPortUrl()
    {
        // A port that was free a moment ago: nothing listens there now.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    [Test]
    public async Task Down_service_is_reported_readably_and_exits_1()
    {
        var server = ClosedPortUrl();

        var result = await CinRunner.RunAsync(["run", "-", "--server", server], stdin: "print(1)\n");

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().StartWith($"cin: cannot reach the service at {server}/");
        result.Stderr.Should().NotContain("   at ");
    }

    [Test]
    public async Task Server_comes_from_CODE_INTERPRETER_URL_when_not_given()
    {
        var server = ClosedPortUrl();

        var result = await CinRunner.RunAsync(["files", "ls"], variables: new Dictionary<string, string> { ["CODE_INTERPRETER_URL"] = server });

        result.ExitCode.Should().Be(1);
        result.Stderr.Should().StartWith($"cin: cannot reach the service at {server}/");
    }

    [Test]
    public async Task Server_that_is_not_a_URL_is_refused()
    {
        var result = await CinRunner.RunAsync(["files", "ls", "--server", "localhost:8000"]);

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("is not an http(s) URL");
    }
}
