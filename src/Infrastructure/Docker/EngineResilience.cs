using System.Net.Sockets;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CodeInterpreter.Infrastructure.Docker;

/// <summary>
/// Retries and a timeout around engine calls that may fail transiently (a busy or restarting
/// engine). Not used around the attach stream of a running sandbox, whose length is the execution's.
/// </summary>
public sealed class EngineResilience
{
    public EngineResilience()
    {
        Pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<SocketException>()
                    .Handle<IOException>()
                    // An aborted engine connection surfaces as a cancellation the caller did not ask for;
                    // Polly stops retrying on its own when the caller's token is the one cancelled.
                    .Handle<OperationCanceledException>()
                    .Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = 3,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .AddTimeout(TimeSpan.FromSeconds(30))
            .Build();
    }

    public ResiliencePipeline Pipeline { get; }
}
