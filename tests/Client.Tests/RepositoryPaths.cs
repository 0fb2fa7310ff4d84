using System.Reflection;

namespace CodeInterpreter.Client.Tests;

/// <summary>Where the repository's files are, found from the test assembly's location.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string TypeScriptClientDirectory => Path.Combine(Root, "clients", "typescript");

    /// <summary>The TypeScript client the build of src/Client generated from the OpenAPI document.</summary>
    public static string GeneratedTypeScriptClient
    {
        get
        {
            var configuration = typeof(RepositoryPaths).Assembly
                .GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            return Path.Combine(Root, "src", "Client", "obj", configuration, "net10.0", "generated", "codeInterpreterClient.ts");
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CodeInterpreter.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"CodeInterpreter.sln not found above {AppContext.BaseDirectory}");
    }
}
