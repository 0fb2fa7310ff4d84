using Microsoft.Extensions.DependencyInjection;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Executions;

public sealed class BackPressureTests
{
    [Test]
    public async Task Beyond_the_running_slots_and_the_queue_the_service_answers_429_with_retry_after()
    {
        await RealEngine.RequireAsync();
        await using var factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["MAX_CONCURRENT_EXECUTIONS"] = "1",
            ["MAX_QUEUED_EXECUTIONS"] = "0",
        });
        using var client = await factory.CreateReadyClientAsync();
        var busy = client.PostExecuteAsync(new { code = "import time\nprint('busy', flush=True)\ntime.sleep(5)", timeout_ms = 20_000 });
        var admitted = await RealEngine.EventuallyAsync(
            () => Task.FromResult(factory.Services.GetRequiredService<Application.Common.ExecutionSlots>().Admitted == 1),
            TimeSpan.FromSeconds(10));
        admitted.Should().BeTrue();

        var (status, body, response) = await client.PostRawExecuteAsync("{\"code\": \"print(1)\"}");

        status.Should().Be(429);
        response.Headers.RetryAfter.Should().NotBeNull();
        body.GetProperty("detail").GetString().Should().Contain("try again");
        (await busy).Status.Should().Be(200, "the running execution is not disturbed");
    }
}
