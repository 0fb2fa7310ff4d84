using CodeInterpreter.Infrastructure.Docker;
using CodeInterpreter.Infrastructure.Egress;
using CodeInterpreter.Infrastructure.Executions;
using CodeInterpreter.Infrastructure.Files;
using CodeInterpreter.Infrastructure.Images;
using CodeInterpreter.Infrastructure.Packages;
using CodeInterpreter.Infrastructure.Postgres;
using CodeInterpreter.Infrastructure.Sessions;
using Docker.DotNet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CodeInterpreter.Infrastructure;

public static class DependencyInjection
{
    /// <summary>The Docker adapter, the readiness gate, the file store, sessions and their options.</summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SandboxOptions>()
            .Bind(configuration)
            .PostConfigure(options =>
            {
                // The reference's name for the image, honoured when ours is not given.
                if (string.IsNullOrEmpty(configuration["EXECUTOR_IMAGE"])
                    && configuration["PYTHON_EXECUTOR_DOCKER_IMAGE"] is { Length: > 0 } alias)
                {
                    options.ExecutorImage = alias;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddOptions<PoolOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EgressOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PackageOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<IDockerClient>(provider =>
        {
            var endpoint = provider.GetRequiredService<IOptions<SandboxOptions>>().Value.DockerHost;
            // Per-call timeouts come from EngineResilience; an attach stream lasts as long as its execution.
            return new DockerClientBuilder()
                .WithEndpoint(new Uri(endpoint))
                .WithTimeout(Timeout.InfiniteTimeSpan)
                .Build();
        });
        services.AddSingleton<EngineResilience>();
        services.AddSingleton<ContainerOperations>();
        services.AddSingleton<SandboxReaper>();
        services.AddSingleton<InMemoryExecutionShares>();
        services.AddSingleton<PostgresExecutionShares>();
        services.AddSingleton<IExecutionShares>(provider => UsesPostgres(provider)
            ? provider.GetRequiredService<PostgresExecutionShares>()
            : provider.GetRequiredService<InMemoryExecutionShares>());
        services.AddSingleton<BackgroundExecutionJobs>();
        services.AddSingleton<PostgresExecutionQueue>();
        services.AddSingleton<PostgresExecutionJobs>();
        services.AddSingleton<IExecutionJobs>(provider => UsesPostgres(provider)
            ? provider.GetRequiredService<PostgresExecutionJobs>()
            : provider.GetRequiredService<BackgroundExecutionJobs>());
        // The store in use is also the worker that runs its jobs.
        services.AddHostedService(provider => (BackgroundService)provider.GetRequiredService<IExecutionJobs>());
        services.AddSingleton<EgressProxy>();
        services.AddHostedService<EgressProxySupervisor>();
        services.AddSingleton<SandboxRemovals>();
        services.AddHostedService(provider => provider.GetRequiredService<SandboxRemovals>());
        services.AddSingleton<ISandboxProvider, DockerSandboxProvider>();
        services.AddSingleton<PackageBuildNetwork>();
        services.AddSingleton<ImagePackageProbe>();
        services.AddSingleton<LeftoverEnvironments>();
        services.AddSingleton(provider => new EnvironmentBuildLock(
            UsesPostgres(provider) ? new Lazy<PostgresDatabase>(provider.GetRequiredService<PostgresDatabase>) : null,
            provider.GetRequiredService<IOptions<PackageOptions>>()));
        services.AddHostedService<PackageEnvironmentAdoption>();
        services.AddSingleton<DockerPackageEnvironments>();
        services.AddSingleton<IPackageEnvironments>(provider => provider.GetRequiredService<DockerPackageEnvironments>());
        services.AddHostedService<ExecutorImageProvisioner>();
        services.AddSingleton<SandboxPool>();
        services.AddHostedService(provider => provider.GetRequiredService<SandboxPool>());
        services.AddSingleton<EnvironmentPools>();
        services.AddHostedService(provider => provider.GetRequiredService<EnvironmentPools>());
        services.AddHostedService<PooledEnvironmentPinning>();
        services.AddSingleton<SandboxPoolStatus>();
        services.AddSingleton<ISandboxPoolStatus>(provider => provider.GetRequiredService<SandboxPoolStatus>());

        services.TryAddSingleton(TimeProvider.System);
        AddSharedState(services, configuration);
        services.AddSingleton<LocalFileStore>();
        services.AddSingleton<PostgresFileStore>();
        services.AddSingleton<IFileStore>(provider => UsesPostgres(provider)
            ? provider.GetRequiredService<PostgresFileStore>()
            : provider.GetRequiredService<LocalFileStore>());
        services.AddSingleton<IValidateOptions<FileStorageOptions>, FileStorageDirectoryValidation>();
        // Depends on the store, so the storage directory is created (or start-up fails naming it) at start.
        services.AddHostedService<ExpiredFileSweeper>();

        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<InMemorySessionDirectory>();
        services.AddSingleton<PostgresSessionDirectory>();
        services.AddSingleton<ISessionDirectory>(provider => UsesPostgres(provider)
            ? provider.GetRequiredService<PostgresSessionDirectory>()
            : provider.GetRequiredService<InMemorySessionDirectory>());
        services.AddHostedService<ReplicaHeartbeat>();
        services.AddSingleton<DockerSessionProvider>();
        services.AddSingleton<ISessionProvider>(provider => provider.GetRequiredService<DockerSessionProvider>());
        // Closes expired sessions while running and every session at shutdown.
        services.AddHostedService<SessionReaper>();
        return services;
    }

    /// <summary>
    /// DATABASE_URL and the PostgreSQL database behind it. Which store serves a port is decided when it
    /// is first resolved, from the bound options, so every configuration source is seen.
    /// </summary>
    private static void AddSharedState(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidation>();
        services.AddSingleton(provider => new PostgresDatabase(
            DatabaseConnection.Parse(provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.DatabaseUrl
                ?? throw new InvalidOperationException("DATABASE_URL is not set: the embedded store is in use.")),
            provider.GetRequiredService<ILogger<PostgresDatabase>>()));
        services.AddHostedService<DatabaseMonitor>();
        services.AddSingleton<ReplicaIdentity>();
    }

    private static bool UsesPostgres(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<DatabaseOptions>>().Value.UsesPostgres;
}
