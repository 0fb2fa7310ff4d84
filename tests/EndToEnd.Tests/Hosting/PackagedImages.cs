using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.EndToEnd.Tests.Hosting;

/// <summary>
/// The images under test, built once per test run with the repository's own scripts (each skips a
/// build whose input-hash tag exists, so a second run costs seconds). The preloaded image is built on
/// the Docker-in-Docker one, so one build serves the DinD and the air-gapped tests; the
/// Docker-out-of-Docker image reuses the same published app.
/// </summary>
internal static class PackagedImages
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);
    private static readonly Lazy<Task<string>> DockerOutOfDocker = new(() => BuildAsync(
        "docker/build.sh", [], new Dictionary<string, string> { ["SKIP_NESTED_DOCKER"] = "1" }));

    private static readonly Lazy<Task<string>> Preloaded = new(() => BuildAsync(
        "build-preloaded.sh", ["code-interpreter:preloaded"],
        new Dictionary<string, string> { ["EXECUTOR_IMAGE"] = RealEngine.ExecutorImage }));

    /// <summary>The API image without an engine (SKIP_NESTED_DOCKER=1), for a mounted host socket.</summary>
    public static Task<string> DockerOutOfDockerAsync() => DockerOutOfDocker.Value;

    /// <summary>The Docker-in-Docker API image with the executor image inside (build-preloaded.sh).</summary>
    public static Task<string> PreloadedAsync() => Preloaded.Value;

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static async Task<string> BuildAsync(string script, string[] args, IReadOnlyDictionary<string, string> environment)
    {
        TestContext.Progress.WriteLine($"[e2e] building with {script} {string.Join(' ', args)}");
        var started = DateTime.UtcNow;
        var result = await HostCommand.RunAsync(
            Path.Combine(RepositoryRoot, script), args, BuildTimeout, environment, echo: TestContext.Progress);
        if (!result.Succeeded || result.LastLine.Length == 0)
        {
            Assert.Fail($"{script} failed: {result}");
        }

        TestContext.Progress.WriteLine($"[e2e] {script}: {result.LastLine} in {(DateTime.UtcNow - started).TotalSeconds:0} s");
        return result.LastLine;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CodeInterpreter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no CodeInterpreter.sln above {TestContext.CurrentContext.TestDirectory}");
    }
}
