using System.Globalization;

namespace CodeInterpreter.Api.Hosting;

/// <summary>
/// Host-level settings read from the reference API's environment variables: where to listen and how
/// to log. Invalid values stop start-up with a message naming the variable.
/// </summary>
internal static class ServiceConfiguration
{
    public static void Apply(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var host = configuration["HOST"] is { Length: > 0 } h ? h : "0.0.0.0";
        var portText = configuration["PORT"] is { Length: > 0 } p ? p : "8000";
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new InvalidConfigurationException($"PORT must be a number from 1 to 65535, not '{portText}'.");
        }

        if (string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(configuration["URLS"]))
        {
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}"));
        }

        var level = ParseLevel(configuration["LOG_LEVEL"]);
        builder.Logging.SetMinimumLevel(level);
        // The framework's per-request chatter only at DEBUG; our own one line per execution stays.
        builder.Logging.AddFilter("Microsoft.AspNetCore", level <= LogLevel.Debug ? level : LogLevel.Warning);
        var format = configuration["LOG_FORMAT"] is { Length: > 0 } f ? f.ToLowerInvariant() : "plain";
        builder.Logging.ClearProviders();
        switch (format)
        {
            case "plain":
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
                break;
            case "json":
                builder.Logging.AddJsonConsole();
                break;
            default:
                throw new InvalidConfigurationException($"LOG_FORMAT must be plain or json, not '{format}'.");
        }
    }

    private static LogLevel ParseLevel(string? level) => level?.ToUpperInvariant() switch
    {
        null or "" or "INFO" => LogLevel.Information,
        "DEBUG" => LogLevel.Debug,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => throw new InvalidConfigurationException($"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not '{level}'."),
    };
}
