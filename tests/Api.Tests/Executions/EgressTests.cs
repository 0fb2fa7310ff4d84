using CodeInterpreter.Api.Tests.Sessions;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>
/// Restricted egress (<c>allow_hosts</c>) through the real egress proxy: the sandbox reaches the hosts it names and
/// nothing else, all traffic on this machine (test servers on the engine's bridge gateway, names from a hosts file).
/// </summary>
[NonParallelizable]
public sealed class EgressTests
{
    private const string Fetch =
        "import urllib.request, urllib.error\n" +
        "def get(url):\n" +
        "    try:\n" +
        "        r = urllib.request.urlopen(url, timeout=15)\n" +
        "        return f'{r.status} {r.read().decode()}'\n" +
        "    except urllib.error.HTTPError as e:\n" +
        "        return f'{e.code} {e.read().decode().strip()}'\n" +
        "    except Exception as e:\n" +
        "        return f'ERR {type(e).__name__} {e}'\n";

    private EgressTestHosts _hosts = null!;
    private ApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _hosts = await EgressTestHosts.StartAsync();
        _factory = new ApiFactory(_hosts.Settings());
        _client = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        _hosts?.Dispose();
    }

    [Test]
    public async Task An_allowed_host_answers_and_any_other_gets_the_proxys_403_naming_the_host_and_the_rule()
    {
        var lines = await RunAsync(
            $"print('allowed', get('http://allowed.{EgressTestHosts.Domain}:{_hosts.FirstPort}/'))\n" +
            $"print('other', get('http://other.{EgressTestHosts.Domain}:{_hosts.SecondPort}/'))\n",
            [$"allowed.{EgressTestHosts.Domain}"]);

        lines["allowed"].Should().Be("200 first");
        lines["other"].Should().StartWith("403 ").And.Contain($"other.{EgressTestHosts.Domain}").And.Contain("allow_hosts").And.Contain("rule: allow-list");
    }

    [Test]
    public async Task The_result_lists_each_request_through_the_proxy_allowed_or_not_with_its_bytes()
    {
        var (status, body) = await _client.PostExecuteAsync(new
        {
            code = Fetch +
                   $"print(get('http://allowed.{EgressTestHosts.Domain}:{_hosts.FirstPort}/'))\n" +
                   $"print(get('http://other.{EgressTestHosts.Domain}:{_hosts.SecondPort}/'))\n",
            allow_hosts = new[] { $"allowed.{EgressTestHosts.Domain}" },
            timeout_ms = 30_000,
        });

        status.Should().Be(200, body.GetRawText());
        TestContext.Out.WriteLine(body.GetProperty("network_log").GetRawText());
        var log = body.GetProperty("network_log").EnumerateArray()
            .Select(e => (Host: e.GetProperty("host").GetString(), Port: e.GetProperty("port").GetInt32(),
                Allowed: e.GetProperty("allowed").GetBoolean(), Bytes: e.GetProperty("bytes").GetInt64()))
            .ToList();
        log.Should().HaveCount(2);
        log[0].Should().Match<(string? Host, int Port, bool Allowed, long Bytes)>(
            e => e.Host == $"allowed.{EgressTestHosts.Domain}" && e.Port == _hosts.FirstPort && e.Allowed && e.Bytes > 0);
        log[1].Should().Match<(string? Host, int Port, bool Allowed, long Bytes)>(
            e => e.Host == $"other.{EgressTestHosts.Domain}" && e.Port == _hosts.SecondPort && !e.Allowed);
    }

    [Test]
    public async Task A_run_without_allow_hosts_has_no_network_log()
    {
        var (status, body) = await _client.PostExecuteAsync(new { code = "print(1)" });

        status.Should().Be(200);
        (body.TryGetProperty("network_log", out var log) && log.ValueKind != System.Text.Json.JsonValueKind.Null).Should().BeFalse();
    }

    [Test]
    public async Task A_sandbox_with_egress_has_no_route_to_the_gateway_and_no_name_lookup()
    {
        var lines = await RunAsync(
            "import socket\n" +
            "s = socket.socket()\n" +
            "s.settimeout(3)\n" +
            "try:\n" +
            $"    s.connect(('{_hosts.Gateway}', {_hosts.FirstPort}))\n" +
            "    print('direct REACHED')\n" +
            "except OSError as e:\n" +
            "    print('direct blocked', type(e).__name__)\n" +
            "try:\n" +
            $"    print('dns RESOLVED', socket.getaddrinfo('allowed.{EgressTestHosts.Domain}', 80)[0][4])\n" +
            "except OSError as e:\n" +
            "    print('dns failed', type(e).__name__)\n" +
            $"print('proxied', get('http://allowed.{EgressTestHosts.Domain}:{_hosts.FirstPort}/'))\n",
            [$"allowed.{EgressTestHosts.Domain}"]);

        lines["direct"].Should().StartWith("blocked");
        lines["dns"].Should().StartWith("failed");
        lines["proxied"].Should().Be("200 first", "the same host answers through the proxy, so the failures above are the fence's");
    }

    [Test]
    public async Task A_name_that_resolves_to_a_denied_address_is_refused_even_when_allowed()
    {
        var lines = await RunAsync(
            $"print('loopback', get('http://loopback.{EgressTestHosts.Domain}:{_hosts.FirstPort}/'))\n",
            [$"loopback.{EgressTestHosts.Domain}"]);

        lines["loopback"].Should().StartWith("403 ").And.Contain($"loopback.{EgressTestHosts.Domain}").And.Contain("EGRESS_DENY_CIDRS");
    }

    [Test]
    public async Task A_wildcard_allows_exactly_one_label_and_a_port_allows_only_that_port()
    {
        var d = EgressTestHosts.Domain;
        var lines = await RunAsync(
            $"print('wild', get('http://a.wild.{d}:{_hosts.FirstPort}/'))\n" +
            $"print('deep', get('http://b.c.wild.{d}:{_hosts.FirstPort}/'))\n" +
            $"print('port', get('http://other.{d}:{_hosts.SecondPort}/'))\n" +
            $"print('otherport', get('http://other.{d}:{_hosts.FirstPort}/'))\n",
            [$"*.wild.{d}", $"other.{d}:{_hosts.SecondPort}"]);

        lines["wild"].Should().Be("200 first");
        lines["deep"].Should().StartWith("403 ");
        lines["port"].Should().Be("200 second");
        lines["otherport"].Should().StartWith("403 ").And.Contain($"port {_hosts.FirstPort}");
    }

    [Test]
    public async Task A_tunnel_as_https_clients_open_it_is_allowed_to_an_allowed_host_and_port_only()
    {
        var d = EgressTestHosts.Domain;
        var lines = await RunAsync(
            "import os, socket, urllib.parse\n" +
            "proxy = urllib.parse.urlsplit(os.environ['HTTPS_PROXY'])\n" +
            "def tunnel(target):\n" +
            "    s = socket.create_connection((proxy.hostname, proxy.port), timeout=15)\n" +
            "    s.sendall(f'CONNECT {target} HTTP/1.1\\r\\nHost: {target}\\r\\n\\r\\n'.encode())\n" +
            "    head = s.recv(65536).decode(errors='replace')\n" +
            "    if ' 200 ' not in head.split('\\r\\n')[0]:\n" +
            "        return head.split('\\r\\n')[0]\n" +
            "    s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n" +
            "    return 'tunneled ' + s.recv(65536).decode().split('\\r\\n\\r\\n', 1)[1]\n" +
            $"print('allowed', tunnel('allowed.{d}:{_hosts.FirstPort}'))\n" +
            $"print('denied', tunnel('other.{d}:{_hosts.SecondPort}'))\n",
            [$"allowed.{d}:{_hosts.FirstPort}"]);

        lines["allowed"].Should().Be("tunneled first");
        lines["denied"].Should().Contain("403");
    }

    [Test]
    public async Task A_session_with_allow_hosts_reaches_its_hosts_only_until_it_is_deleted()
    {
        var d = EgressTestHosts.Domain;
        var sessionId = await _client.OpenSessionAsync(new { allow_hosts = new[] { $"allowed.{d}" } });
        var (status, body) = await _client.SessionExecuteAsync(sessionId, new
        {
            code = Fetch +
                   $"print('allowed', get('http://allowed.{d}:{_hosts.FirstPort}/'))\n" +
                   $"print('other', get('http://other.{d}:{_hosts.SecondPort}/'))\n",
            timeout_ms = 30_000,
        });
        var deleted = await _client.SessionDeleteAsync(sessionId);

        status.Should().Be(200, body.GetRawText());
        var stdout = body.GetProperty("stdout").GetString();
        stdout.Should().Contain("allowed 200 first").And.Contain("other 403 ");
        deleted.Status.Should().BeOneOf(200, 204);
    }

    [Test]
    public async Task Each_session_cell_lists_the_requests_made_during_it_on_its_result_and_on_its_streams_result_event()
    {
        var d = EgressTestHosts.Domain;
        var sessionId = await _client.OpenSessionAsync(new { allow_hosts = new[] { $"allowed.{d}" } });
        try
        {
            var (status, first) = await _client.SessionExecuteAsync(sessionId, new
            {
                code = Fetch + $"print(get('http://allowed.{d}:{_hosts.FirstPort}/'))\n",
                timeout_ms = 30_000,
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/v1/sessions/{sessionId}/execute/stream", UriKind.Relative))
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { code = $"print(get('http://other.{d}:{_hosts.SecondPort}/'))", timeout_ms = 30_000 }),
            };
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var events = await ServerSentEventReader.ReadAllAsync(response);
            var (_, quiet) = await _client.SessionExecuteAsync(sessionId, new { code = "print(1)", timeout_ms = 10_000 });

            status.Should().Be(200, first.GetRawText());
            TestContext.Out.WriteLine(first.GetProperty("network_log").GetRawText());
            first.GetProperty("network_log").EnumerateArray().Should().ContainSingle().Which.Should().Match<System.Text.Json.JsonElement>(
                e => e.GetProperty("host").GetString() == $"allowed.{d}" && e.GetProperty("allowed").GetBoolean() && e.GetProperty("bytes").GetInt64() > 0);
            events[^1].Name.Should().Be("result");
            TestContext.Out.WriteLine(events[^1].Data.GetProperty("network_log").GetRawText());
            events[^1].Data.GetProperty("network_log").EnumerateArray().Should().ContainSingle("only this cell's request, not the first cell's")
                .Which.Should().Match<System.Text.Json.JsonElement>(e => e.GetProperty("host").GetString() == $"other.{d}" && !e.GetProperty("allowed").GetBoolean());
            quiet.GetProperty("network_log").EnumerateArray().Should().BeEmpty("the cell made no request");
        }
        finally
        {
            await _client.SessionDeleteAsync(sessionId);
        }
    }

    [Test]
    public async Task A_sandbox_with_egress_cannot_reach_another_one_directly_or_through_the_proxy()
    {
        var d = EgressTestHosts.Domain;
        var listener = await _client.OpenSessionAsync(new { allow_hosts = new[] { $"allowed.{d}" } });
        try
        {
            var (status, body) = await _client.SessionExecuteAsync(listener, new
            {
                code = "import os, socket, urllib.parse\n" +
                       "proxy = urllib.parse.urlsplit(os.environ['HTTP_PROXY'])\n" +
                       "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
                       "u.connect((proxy.hostname, proxy.port))\n" +
                       "me = u.getsockname()[0]\n" +
                       "server = socket.create_server(('0.0.0.0', 8765))\n" +
                       "socket.create_connection((me, 8765), timeout=3).close()\n" +
                       "accepted = [server.accept()]\n" +
                       // No accepting thread: a session's interpreter is stopped between cells. A connection that
                       // reaches the listener meanwhile waits in its backlog, where the last cell counts it.
                       "server.setblocking(False)\n" +
                       "print(me)\n",
                timeout_ms = 30_000,
            });
            status.Should().Be(200, body.GetRawText());
            var address = body.GetProperty("stdout").GetString()!.Trim();
            TestContext.Out.WriteLine($"listener at {address}");

            var lines = await RunAsync(
                "import os, socket, urllib.parse\n" +
                "s = socket.socket()\n" +
                "s.settimeout(3)\n" +
                "try:\n" +
                $"    s.connect(('{address}', 8765))\n" +
                "    print('direct REACHED')\n" +
                "except OSError as e:\n" +
                "    print('direct blocked', type(e).__name__)\n" +
                "proxy = urllib.parse.urlsplit(os.environ['HTTP_PROXY'])\n" +
                "t = socket.create_connection((proxy.hostname, proxy.port), timeout=15)\n" +
                $"t.sendall(b'CONNECT {address}:8765 HTTP/1.1\\r\\nHost: {address}:8765\\r\\n\\r\\n')\n" +
                "print('tunnel', t.recv(65536).decode(errors='replace').split('\\r\\n')[0])\n" +
                $"print('proxied', get('http://allowed.{d}:{_hosts.FirstPort}/'))\n",
                [$"allowed.{d}"]);

            var (_, after) = await _client.SessionExecuteAsync(listener, new
            {
                code = "while True:\n" +
                       "    try:\n" +
                       "        accepted.append(server.accept())\n" +
                       "    except BlockingIOError:\n" +
                       "        break\n" +
                       "print('accepted', len(accepted))\n",
                timeout_ms = 10_000,
            });
            lines["direct"].Should().StartWith("blocked");
            lines["tunnel"].Should().Contain("403");
            lines["proxied"].Should().Be("200 first", "the sandbox's own way out still works");
            after.GetProperty("stdout").GetString().Should().Contain("accepted 1", "the listener took only its own test connection");
        }
        finally
        {
            await _client.SessionDeleteAsync(listener);
        }
    }

    [Test]
    public async Task A_malformed_entry_is_refused_with_422_naming_it()
    {
        var (status, body) = await _client.PostExecuteAsync(new { code = "print(1)", allow_hosts = new[] { "ok.example", "bad host!" } });

        status.Should().Be(422);
        body.GetRawText().Should().Contain("allow_hosts[1]").And.Contain("bad host!");
    }

    private async Task<Dictionary<string, string>> RunAsync(string code, string[] allowHosts)
    {
        var (status, body) = await _client.PostExecuteAsync(new { code = Fetch + code, allow_hosts = allowHosts, timeout_ms = 30_000 });
        status.Should().Be(200, body.GetRawText());
        var stdout = body.GetProperty("stdout").GetString() ?? "";
        body.GetProperty("exit_code").GetInt32().Should().Be(0, $"{stdout}\n{body.GetProperty("stderr").GetString()}");
        TestContext.Out.WriteLine(stdout);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "");
    }
}
