using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>With ALLOW_NETWORK=true a sandbox may have a network, but never a way to this host.</summary>
public sealed class NetworkOptInTests
{
    [Test]
    public async Task An_allowed_network_sandbox_has_an_interface_but_cannot_reach_ports_on_this_host()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?> { ["ALLOW_NETWORK"] = "true" });
        using var client = await factory.CreateReadyClientAsync();
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var bridgeGateway = await RealEngine.BridgeGatewayAsync();

        var (status, body) = await client.PostExecuteAsync(new
        {
            code = "import socket, struct\n" +
                   "print(sorted(n for _, n in socket.if_nameindex()) != ['lo'])\n" +
                   "gateway = None\n" +
                   "for line in open('/proc/net/route').read().splitlines()[1:]:\n" +
                   "    f = line.split()\n" +
                   "    if f[1] == '00000000':\n" +
                   "        gateway = socket.inet_ntoa(struct.pack('<L', int(f[2], 16)))\n" +
                   $"for host in [gateway, '{bridgeGateway}']:\n" +
                   "    s = socket.socket()\n" +
                   "    s.settimeout(2)\n" +
                   "    try:\n" +
                   $"        s.connect((host, {port}))\n" +
                   "        print('REACHED', host)\n" +
                   "    except OSError as e:\n" +
                   "        print('blocked', type(e).__name__)\n",
            network = true,
            timeout_ms = 20_000,
        });

        status.Should().Be(200);
        var stdout = body.GetProperty("stdout").GetString();
        stdout.Should().StartWith("True\n", body.GetProperty("stderr").GetString());
        stdout.Should().NotContain("REACHED");
        stdout!.Split('\n').Count(l => l.StartsWith("blocked", StringComparison.Ordinal)).Should().Be(2);
    }
}
