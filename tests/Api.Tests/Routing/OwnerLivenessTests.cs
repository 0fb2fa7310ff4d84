using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CodeInterpreter.Api.Routing;
using CodeInterpreter.Application.Sessions;
using Microsoft.AspNetCore.Http;

namespace CodeInterpreter.Api.Tests.Routing;

/// <summary>
/// When a session's owner counts as gone, with real sockets on loopback: a refused connection is gone at
/// once; a connect that only times out (a listener whose backlog is full, as under load) is gone only
/// when the owner's heartbeat is also stale, never while it is recent.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class OwnerLivenessTests
{
    [Test]
    public async Task An_owner_that_refuses_the_connection_is_gone_within_a_second_whatever_its_heartbeat()
    {
        var port = ClosedPort();
        var liveness = new OwnerLiveness((_, _) => ValueTask.FromResult(true));
        var clock = Stopwatch.StartNew();

        var state = await liveness.CheckAsync(Route($"http://127.0.0.1:{port}"), CancellationToken.None);

        state.Should().Be(OwnerState.Gone);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
    }

    [Test]
    public async Task An_owner_that_accepts_is_reachable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var liveness = new OwnerLiveness((_, _) => ValueTask.FromResult(false));

        var state = await liveness.CheckAsync(Route($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}"), CancellationToken.None);

        state.Should().Be(OwnerState.Reachable);
    }

    [Test]
    public async Task An_owner_that_does_not_answer_in_time_but_sends_its_heartbeat_is_slow_not_gone()
    {
        using var busy = await BusyListener.StartAsync();
        var asked = new List<string>();
        var liveness = new OwnerLiveness((id, _) =>
        {
            asked.Add(id);
            return ValueTask.FromResult(true);
        });

        var state = await liveness.CheckAsync(Route(busy.Url), CancellationToken.None);

        state.Should().Be(OwnerState.Slow, "a timeout under load is no proof of death while the heartbeat is recent");
        asked.Should().Equal("replica-b");
    }

    [Test]
    public async Task An_owner_that_does_not_answer_in_time_and_whose_heartbeat_is_stale_is_gone()
    {
        using var busy = await BusyListener.StartAsync();
        var liveness = new OwnerLiveness((_, _) => ValueTask.FromResult(false));

        var state = await liveness.CheckAsync(Route(busy.Url), CancellationToken.None);

        state.Should().Be(OwnerState.Gone);
    }

    [TestCase("/v1/sessions/code-session-1/execute", "code-session-1")]
    [TestCase("/v1/sessions/code-session-1", "code-session-1")]
    [TestCase("/V1/Sessions/code-session-1/bash", "code-session-1")]
    [TestCase("/v1/sessions", null)]
    [TestCase("/v1/execute", null)]
    [TestCase("/v1/files/code-session-1", null)]
    public void Only_calls_into_one_session_are_routed(string path, string? sessionId)
    {
        SessionForwardingMiddleware.SessionIdOf(new PathString(path)).Should().Be(sessionId);
    }

    private static SessionRoute Route(string url) => new("replica-b", new Uri(url));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A listener that never accepts, its backlog filled: the kernel drops further SYNs, so a connect hangs.</summary>
    private sealed class BusyListener : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly List<Socket> _fillers = [];

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

        public static async Task<BusyListener> StartAsync()
        {
            var busy = new BusyListener();
            busy._listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            busy._listener.Listen(0);
            for (var i = 0; i < 16; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                busy._fillers.Add(filler);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(busy._listener.LocalEndPoint!, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    return busy;
                }
            }

            busy.Dispose();
            throw new AssertionException("the listener's backlog never filled: a connect to it would not time out");
        }

        public void Dispose()
        {
            foreach (var filler in _fillers)
            {
                filler.Dispose();
            }

            _listener.Dispose();
        }
    }
}
