using System.Net;
using System.Net.Sockets;
using System.Text;
using Docker.DotNet;

namespace CodeInterpreter.Tests.Shared;

/// <summary>
/// What the egress tests reach, all on this machine: two HTTP servers on the engine's bridge gateway (read from the
/// engine) answering their own name, and a hosts file (EGRESS_HOSTS_FILE) through which the proxy finds them by
/// name: <c>allowed</c>, <c>other</c>, <c>a.wild</c> and <c>b.c.wild</c> (all <c>.egress.test</c>) are the
/// gateway, <c>loopback.egress.test</c> is 127.0.0.1.
/// </summary>
internal sealed class EgressTestHosts : IDisposable
{
    public const string Domain = "egress.test";

    private readonly TcpListener _first;
    private readonly TcpListener _second;
    private readonly CancellationTokenSource _stop = new();

    private EgressTestHosts(string gateway, string hostsFile)
    {
        Gateway = gateway;
        HostsFile = hostsFile;
        _first = Listen(gateway, "first", _stop.Token);
        _second = Listen(gateway, "second", _stop.Token);
    }

    /// <summary>The engine's bridge gateway, where both servers listen.</summary>
    public string Gateway { get; }

    /// <summary>Port of the server that answers "first".</summary>
    public int FirstPort => ((IPEndPoint)_first.LocalEndpoint).Port;

    /// <summary>Port of the server that answers "second".</summary>
    public int SecondPort => ((IPEndPoint)_second.LocalEndpoint).Port;

    /// <summary>The hosts file for EGRESS_HOSTS_FILE.</summary>
    public string HostsFile { get; }

    /// <summary>The proxy image the service starts (EGRESS_PROXY_IMAGE, as scripts/setup.sh exports it).</summary>
    public static string ProxyImage =>
        Environment.GetEnvironmentVariable("EGRESS_PROXY_IMAGE") is { Length: > 0 } image ? image : "code-interpreter-egress-proxy:latest";

    /// <summary>Starts the servers and writes the hosts file; fails in CI (skips elsewhere) without the proxy image.</summary>
    public static async Task<EgressTestHosts> StartAsync()
    {
        await RealEngine.RequireAsync();
        using (var client = RealEngine.CreateClient())
        {
            try
            {
                await client.Images.InspectImageAsync(ProxyImage);
            }
            catch (DockerImageNotFoundException)
            {
                var problem = $"the egress proxy image {ProxyImage} is missing (scripts/setup.sh ensure_egress_proxy_image builds it)";
                if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.Fail($"CI=true and {problem}");
                }

                Assert.Ignore(problem);
            }
        }

        var gateway = await RealEngine.BridgeGatewayAsync();
        var hostsFile = Path.Combine(Path.GetTempPath(), $"egress-hosts-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(hostsFile,
            $"{gateway} allowed.{Domain} other.{Domain} a.wild.{Domain} b.c.wild.{Domain}\n127.0.0.1 loopback.{Domain}\n");
        return new EgressTestHosts(gateway, hostsFile);
    }

    /// <summary>The service settings of restricted egress with these hosts: any name may be asked for, loopback and link-local refused.</summary>
    public Dictionary<string, string?> Settings(string allowHosts = "*") => new()
    {
        ["ALLOW_NETWORK"] = "true",
        ["EGRESS_ALLOW_HOSTS"] = allowHosts,
        ["EGRESS_DENY_CIDRS"] = "127.0.0.0/8,169.254.0.0/16",
        ["EGRESS_HOSTS_FILE"] = HostsFile,
        ["EGRESS_PROXY_IMAGE"] = ProxyImage,
    };

    public void Dispose()
    {
        _stop.Cancel();
        _first.Stop();
        _second.Stop();
        _stop.Dispose();
        File.Delete(HostsFile);
    }

    private static TcpListener Listen(string address, string answer, CancellationToken cancellationToken)
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        _ = ServeAsync(listener, answer, cancellationToken);
        return listener;
    }

    private static async Task ServeAsync(TcpListener listener, string answer, CancellationToken cancellationToken)
    {
        var response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {answer.Length}\r\nConnection: close\r\n\r\n{answer}");
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    var stream = connection.GetStream();
                    var buffer = new byte[8192];
                    var request = new StringBuilder();
                    while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, cancellationToken);
                        if (read == 0)
                        {
                            return;
                        }

                        request.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    await stream.WriteAsync(response, cancellationToken);
                }
            }, cancellationToken);
        }
    }
}
