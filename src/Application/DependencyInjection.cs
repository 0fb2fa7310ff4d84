using CodeInterpreter.Application.Common;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Application.Common.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeInterpreter.Application;

public static class DependencyInjection
{
    /// <summary>Use cases (through the source-generated mediator), their options and shared state.</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMediator(options => options.ServiceLifetime = ServiceLifetime.Singleton);
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
        services.AddSingleton<ServiceReadiness>();
        services.AddSingleton<ExecutionSlots>();
        return services;
    }
}
