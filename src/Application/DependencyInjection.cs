using CodeInterpreter.Application.Common.Behaviours;
using CodeInterpreter.Application.Executions;
using CodeInterpreter.Application.Packages;
using CodeInterpreter.Application.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Application;

public static class DependencyInjection
{
    /// <summary>Use cases (through the source-generated mediator, each command checked by its validator first), their options and shared state.</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Singleton;
            options.PipelineBehaviors = [typeof(ValidationBehaviour<,>)];
        });
        services.AddSingleton<IValidator<ExecuteCodeCommand>, ExecuteCodeValidator>();
        services.AddSingleton<IValidator<SubmitExecutionCommand>, SubmitExecutionValidator>();
        services.AddSingleton<IValidator<CreateSessionCommand>, CreateSessionValidator>();
        services.AddSingleton<IValidator<ExecuteInSessionCommand>, ExecuteInSessionValidator>();
        services.AddSingleton<IValidator<RunBashInSessionCommand>, RunBashInSessionValidator>();
        services.AddOptions<ExecutionOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<FileStorageOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<AsyncExecutionOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ConcurrencyOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<SessionOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ReplicaOptions>()
            .Bind(configuration)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ServiceReadiness>();
        services.AddSingleton<ExecutionSlots>();
        services.AddSingleton<ExecutionRunner>();
        services.AddSingleton<PackageResolver>();
        services.AddSingleton(provider => new PooledEnvironmentResolver(provider.GetRequiredService<PackageResolver>()));
        services.AddSingleton<IQueuedExecutionRunner, QueuedExecutionRunner>();
        return services;
    }
}
