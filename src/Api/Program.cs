using System.Text.Json;
using System.Text.Json.Serialization;
using CodeInterpreter.Api.Controllers;
using CodeInterpreter.Api.Errors;
using CodeInterpreter.Api.Hosting;
using CodeInterpreter.Api.Mcp;
using CodeInterpreter.Api.Metrics;
using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Api.Routing;
using CodeInterpreter.Api.Security;
using CodeInterpreter.Application;
using CodeInterpreter.Application.Common.Interfaces;
using CodeInterpreter.Infrastructure;
using Microsoft.AspNetCore.Mvc.ModelBinding.Metadata;
using Prometheus;

try
{
    var builder = WebApplication.CreateBuilder(args);
    ServiceConfiguration.Apply(builder);

    builder.Services
        .AddControllers(o =>
            // Validation messages and keys use the JSON names clients send (timeout_ms, not TimeoutMs).
            o.ModelMetadataDetailsProviders.Add(new SystemTextJsonValidationMetadataProvider(JsonNamingPolicy.SnakeCaseLower)))
        .AddJsonOptions(o =>
        {
            o.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.JsonSerializerOptions.RespectNullableAnnotations = true;
            // Strict types, as the reference: "10" is not a number.
            o.JsonSerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        })
        .ConfigureApiBehaviorOptions(o => o.InvalidModelStateResponseFactory = InvalidRequestResponse.Create);
    // First of the problem details writers (MVC's own registers with AddControllers): /api/v1 answers errors in its own shape.
    builder.Services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, PyExecErrorWriter>());
    builder.Services.AddProblemDetails();
    builder.Services.AddExceptionHandler<ApiExceptionHandler>();
    builder.Services.AddOpenApiDocument(document =>
    {
        document.Title = "CodeInterpreter";
        document.Version = HealthController.Version;
        document.Description = "Runs untrusted Python in fresh, locked-down sandboxes. Drop-in compatible with the reference code-interpreter API.";
    });
    builder.Services.AddOptions<ApiKeyOptions>().Bind(builder.Configuration).ValidateDataAnnotations().ValidateOnStart();
    builder.Services.AddMcpServer().WithHttpTransport().WithTools<CodeInterpreterTools>();
    builder.Services.AddApplication(builder.Configuration);
    builder.Services.AddInfrastructure(builder.Configuration);
    builder.Services.AddHttpForwarder();
    builder.Services.AddSingleton<OwnerLiveness>();
    builder.Services.AddSingleton<ReplicaClient>();
    builder.Services.AddSingleton<ServiceMetrics>();
    builder.Services.AddSingleton<IExecutionMetrics>(services => services.GetRequiredService<ServiceMetrics>());

    var app = builder.Build();
    ConfigurationCheck.Run(app.Services);
    OpenAccessWarning.Register(app);
    app.UseMiddleware<ReplicaHeaderMiddleware>();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseMiddleware<ApiKeyMiddleware>();
    // After the key check: a forwarding replica lets through only callers with a key (the owner checks it again).
    app.UseMiddleware<SessionForwardingMiddleware>();
    app.UseOpenApi(settings => settings.Path = "/openapi/{documentName}.json");
    app.UseSwaggerUi(settings =>
    {
        settings.Path = "/docs";
        settings.DocumentPath = "/openapi/{documentName}.json";
    });
    app.MapControllers();
    app.MapMcp("/mcp");
    app.MapMetrics("/metrics", app.Services.GetRequiredService<ServiceMetrics>().Registry);
    await app.RunAsync();
    return 0;
}
catch (InvalidConfigurationException ex)
{
    // One line an operator can act on, and the exit code scripts and supervisors expect; a stack
    // trace would only bury the variable's name.
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}

/// <summary>Entry point; public so the API tests can host it.</summary>
public partial class Program;
