using System.CommandLine;

namespace CodeInterpreter.Cli;

/// <summary>The <c>cin</c> command line: <c>run</c> and <c>files ls|get|rm</c>.</summary>
internal static class CinApp
{
    public static Task<int> RunAsync(string[] args, CinEnvironment environment, CancellationToken cancellationToken = default)
    {
        var root = Build(environment);
        var invocation = new InvocationConfiguration { Output = environment.Out, Error = environment.Error };
        return root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }

    public static RootCommand Build(CinEnvironment environment)
    {
        var server = new Option<string?>("--server", "-s")
        {
            Description = $"URL of the service (default: ${ServiceConnection.UrlVariable}, else {ServiceConnection.DefaultUrl})",
            Recursive = true,
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"Key for a service that sets API_KEYS, sent as a bearer token (default: ${ServiceConnection.ApiKeyVariable})",
            Recursive = true,
        };
        var root = new RootCommand("cin: run Python in fresh CodeInterpreter sandboxes and manage the service's stored files.")
        {
            server,
            apiKey,
            RunCommand.Create(new ServiceOptions(server, apiKey), environment),
            FilesCommand.Create(new ServiceOptions(server, apiKey), environment),
        };
        return root;
    }

    /// <summary>
    /// Runs a command's work against the service; a service failure or a local one becomes a message
    /// on stderr and an exit code instead of a stack trace.
    /// </summary>
    public static async Task<int> WithServiceAsync(
        ParseResult parse, ServiceOptions service, CinEnvironment environment, Func<ServiceConnection, Task<int>> work)
    {
        ServiceConnection connection;
        try
        {
            connection = new ServiceConnection(parse.GetValue(service.Server), parse.GetValue(service.ApiKey), environment);
        }
        catch (CinException ex)
        {
            await environment.Error.WriteLineAsync($"cin: {ex.Message}");
            return ex.ExitCode;
        }

        using (connection)
        {
            try
            {
                return await work(connection);
            }
            catch (CinException ex)
            {
                await environment.Error.WriteLineAsync($"cin: {ex.Message}");
                return ex.ExitCode;
            }
            catch (Exception ex) when (connection.Describe(ex) is { } message)
            {
                await environment.Error.WriteLineAsync($"cin: {message}");
                return ExitCodes.ServiceError;
            }
        }
    }
}

/// <summary>The options every command shares: which service, and the key for it.</summary>
internal sealed record ServiceOptions(Option<string?> Server, Option<string?> ApiKey);
