using System.Net;
using System.Net.Sockets;
using System.Text;
using CodeInterpreter.Application.Common;
using CodeInterpreter.Tests.Shared;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Api.Tests.Executions;

/// <summary>
/// A stream reader that is slow on purpose cannot keep an execution slot: past the code's timeout
/// plus the grace, the service drops the connection and the slot is free again. Real sockets (the
/// service on Kestrel), since only a real socket pushes back on the writer.
/// </summary>
[TestFixture]
public sealed class SlowStreamReaderTests
{
    [Test]
    public async Task A_client_reading_the_stream_too_slowly_loses_it_after_the_timeout_and_grace_and_the_slot_is_freed()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["MAX_CONCURRENT_EXECUTIONS"] = "1",
            ["MAX_QUEUED_EXECUTIONS"] = "0",
            ["MAX_OUTPUT_BYTES"] = "16000000",
            ["POOL_SIZE"] = "0",
        });
        factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = new Uri(factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = address };
        (await RealEngine.EventuallyAsync(
            async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode, TimeSpan.FromSeconds(60)))
            .Should().BeTrue("the service becomes ready");

        // 16 MB of output, far more than the socket buffers hold; read at 2 KB/s, above Kestrel's
        // own minimum rate (240 B/s), so only the service's deadline can end it.
        using var slow = new TcpClient { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(address.Host, address.Port);
        var stream = slow.GetStream();
        const string body = "{\"code\": \"import sys\\nfor _ in range(16):\\n    sys.stdout.write('x' * 1000000 + '\\\\n')\", \"timeout_ms\": 3000}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/execute/stream HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
        var buffer = new byte[1024];
        var first = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Encoding.ASCII.GetString(buffer, 0, first).Should().StartWith("HTTP/1.1 200", "the stream starts once the code does");
        var reader = Task.Run(async () =>
        {
            long total = first;
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer);
                }
                catch (IOException)
                {
                    return total;
                }

                if (read == 0)
                {
                    return total;
                }

                total += read;
                await Task.Delay(500);
            }
        });

        var slots = factory.Services.GetRequiredService<ExecutionSlots>();
        // 8 s on a quiet machine; the deadline leaves room for an engine busy with other tests' image builds (a CI run
        // building the preloaded image at the same time once took longer than 30 s). Unbounded, the stream would take
        // over two hours at this rate.
        (await RealEngine.EventuallyAsync(() => Task.FromResult(slots.Admitted == 0), TimeSpan.FromSeconds(90)))
            .Should().BeTrue("3 s of timeout and 5 s of grace after the code started, the slot is free again");
        var received = await reader.WaitAsync(TimeSpan.FromSeconds(30));
        received.Should().BeLessThan(16_000_000, "the connection was dropped before the stream was written");

        using var next = await http.PostAsync(
            new Uri("/v1/execute", UriKind.Relative), new StringContent("{\"code\": \"print('free')\"}", Encoding.UTF8, "application/json"));
        next.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
