using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CodeInterpreter.Api.Tests.Packages;

/// <summary>
/// A PEP 503 simple index of a wheelhouse's files, served over plain HTTP on one address of this machine (the
/// engine's bridge gateway): <c>/simple/&lt;project&gt;/</c> lists a project's files, <c>/files/&lt;name&gt;</c> serves one.
/// A bare socket server (one request per connection), so no second web host shares the test process.
/// </summary>
internal sealed partial class TestPackageIndex : IDisposable
{
    private readonly TcpListener _listener;
    private readonly string _wheelhouse;
    private readonly CancellationTokenSource _stop = new();

    private TestPackageIndex(string wheelhouse, IPAddress address)
    {
        _wheelhouse = wheelhouse;
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    /// <summary>The index's URL (<c>http://host:port/simple/</c>).</summary>
    public string Url => $"http://{Host}/simple/";

    /// <summary><c>host:port</c>, for PACKAGE_TRUSTED_HOST.</summary>
    public string Host => $"{((IPEndPoint)_listener.LocalEndpoint).Address}:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every path requested, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static TestPackageIndex Start(string wheelhouse, string address) => new(wheelhouse, IPAddress.Parse(address));

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    [GeneratedRegex(@"^GET (?<path>\S+) HTTP/1\.[01]")]
    private static partial Regex RequestLine();

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    await AnswerAsync(client.GetStream());
                }
            });
        }
    }

    private async Task AnswerAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && head.Length < 16_384)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var match = RequestLine().Match(head.ToString());
        var path = match.Success ? Uri.UnescapeDataString(match.Groups["path"].Value.Split('?')[0]) : "";
        Requests.Enqueue(path);
        var (status, type, body) = Page(path);
        var header = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(header));
        await stream.WriteAsync(body);
    }

    private (string Status, string Type, byte[] Body) Page(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["simple", var project])
        {
            var links = Directory.EnumerateFiles(_wheelhouse)
                .Select(Path.GetFileName)
                .Where(name => Canonical(name!.Split('-')[0]) == project)
                .Select(name => $"<a href=\"/files/{name}#sha256={Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_wheelhouse, name!))))}\">{name}</a><br/>");
            return ("200 OK", "text/html", Encoding.UTF8.GetBytes($"<!DOCTYPE html><html><body>{string.Concat(links)}</body></html>"));
        }

        if (segments is ["files", var file] && !file.Contains("..", StringComparison.Ordinal) && File.Exists(Path.Combine(_wheelhouse, file)))
        {
            return ("200 OK", "application/octet-stream", File.ReadAllBytes(Path.Combine(_wheelhouse, file)));
        }

        return ("404 Not Found", "text/plain", Encoding.UTF8.GetBytes("not found"));
    }

    private static string Canonical(string name) => Regex.Replace(name, "[-_.]+", "-").ToLowerInvariant();
}
