using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CodeInterpreter.Application.Tests.Fakes;

/// <summary>
/// The Application as the Api uses it: <c>AddApplication</c>'s mediator, validation behaviour included,
/// over recording fakes of its ports. <see cref="Limits"/> may be changed until a command is sent.
/// </summary>
internal sealed class ApplicationUnderTest : IDisposable
{
    private readonly ServiceProvider _provider;

    public ApplicationUnderTest()
    {
        var services = new ServiceCollection();
        services.AddApplication(new ConfigurationBuilder().Build());
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(Limits));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(AsyncLimits));
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ISandboxProvider>(Sandbox);
        services.AddSingleton<IFileStore>(Files);
        services.AddSingleton<IExecutionMetrics>(Metrics);
        services.AddSingleton<IExecutionJobs>(Jobs);
        services.AddSingleton<IExecutionShares>(Shares);
        services.AddSingleton<ISessionProvider>(Sessions);
        services.AddSingleton<IPackageEnvironments>(Packages);
        services.AddSingleton<ISessionDirectory>(SessionDirectory);
        _provider = services.BuildServiceProvider();
    }

    public ExecutionOptions Limits { get; } = new();

    public AsyncExecutionOptions AsyncLimits { get; } = new();

    public RecordingSandbox Sandbox { get; } = new();

    public InMemoryFileStore Files { get; } = new();

    public RecordingMetrics Metrics { get; } = new();

    public RecordingJobs Jobs { get; } = new();

    public CountingShares Shares { get; } = new();

    public RecordingSessions Sessions { get; } = new();

    public FakePackageEnvironments Packages { get; } = new();
    public InMemorySessionDirectory SessionDirectory { get; } = new();

    public ServiceReadiness Readiness => _provider.GetRequiredService<ServiceReadiness>();

    /// <summary>What a worker calls to run a queued job.</summary>
    public CodeInterpreter.Application.Executions.IQueuedExecutionRunner QueuedRunner => _provider.GetRequiredService<CodeInterpreter.Application.Executions.IQueuedExecutionRunner>();

    public ValueTask<TResponse> Send<TResponse>(ICommand<TResponse> command, CancellationToken cancellationToken = default) =>
        _provider.GetRequiredService<IMediator>().Send(command, cancellationToken);

    public ValueTask<TResponse> Send<TResponse>(IQuery<TResponse> query, CancellationToken cancellationToken = default) =>
        _provider.GetRequiredService<IMediator>().Send(query, cancellationToken);

    public async Task<string> StoreAsync(byte[] content) =>
        (await Files.SaveAsync("data.bin", new MemoryStream(content), long.MaxValue, CancellationToken.None)).FileId;

    public void Dispose() => _provider.Dispose();
}
