using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>
/// With ALLOW_NETWORK=true, <c>network: true</c> goes through the egress proxy with EGRESS_DEFAULT_HOSTS (any host
/// name) and the default EGRESS_DENY_CIDRS: a network interface, but never a way to this host, directly or by name.
/// </summary>
public sealed class NetworkOptInTests
{
    [Test]
    public async Task A_network_sandbox_reaches_no_port_on_this_host_directly_nor_through_the_proxy()
    {
        using var hosts = await EgressTestHosts.StartAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["ALLOW_NETWORK"] = "true",
            ["EGRESS_HOSTS_FILE"] = hosts.HostsFile,
            ["EGRESS_PROXY_IMAGE"] = EgressTestHosts.ProxyImage,
        });
        using var client = await factory.CreateReadyClientAsync();
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var (status, body) = await client.PostExecuteAsync(new
        {
            code = "import os, socket, struct, urllib.request, urllib.error\n" +
                   "print(sorted(n for _, n in socket.if_nameindex()) != ['lo'])\n" +
                   "gateways = []\n" +
                   "for line in open('/proc/net/route').read().splitlines()[1:]:\n" +
                   "    f = line.split()\n" +
                   "    if f[2] != '00000000':\n" +
                   "        gateways.append(socket.inet_ntoa(struct.pack('<L', int(f[2], 16))))\n" +
                   $"for host in gateways + ['{hosts.Gateway}']:\n" +
                   "    s = socket.socket()\n" +
                   "    s.settimeout(2)\n" +
                   "    try:\n" +
                   $"        s.connect((host, {port}))\n" +
                   "        print('REACHED', host)\n" +
                   "    except OSError as e:\n" +
                   "        print('blocked', type(e).__name__)\n" +
                   "try:\n" +
                   $"    urllib.request.urlopen('http://allowed.{EgressTestHosts.Domain}:{port}/', timeout=10)\n" +
                   "    print('REACHED through the proxy')\n" +
                   "except urllib.error.HTTPError as e:\n" +
                   "    print('proxy', e.code, e.read().decode().strip())\n" +
                   "print('proxied by', os.environ.get('HTTP_PROXY'))\n",
            network = true,
            timeout_ms = 20_000,
        });

        status.Should().Be(200);
        var stdout = body.GetProperty("stdout").GetString();
        TestContext.Out.WriteLine(stdout);
        stdout.Should().StartWith("True\n", body.GetProperty("stderr").GetString());
        stdout.Should().NotContain("REACHED");
        stdout!.Split('\n').Count(l => l.StartsWith("blocked", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(1);
        stdout.Should().Contain("proxy 403").And.Contain("EGRESS_DENY_CIDRS");
        body.GetProperty("network_log").GetArrayLength().Should().Be(1);
    }
}
