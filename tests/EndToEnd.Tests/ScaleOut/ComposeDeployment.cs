using System.Net;
using System.Net.Sockets;
using CodeInterpreter.EndToEnd.Tests.Hosting;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.EndToEnd.Tests.ScaleOut;

/// <summary>
/// deploy/compose.yaml brought up by deploy/compose.sh (its own project name and a free loopback port,
/// so it never meets another deployment on this machine): PostgreSQL, three DooD replicas, HAProxy.
/// Short REPLICA_TIMEOUT_SEC and EXECUTION_LEASE_SEC, so a killed replica's work ends within the run.
/// </summary>
internal sealed class ComposeDeployment
{
    public const int ReplicaTimeoutSeconds = 6;
    public const int LeaseSeconds = 5;
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(3);

    private ComposeDeployment(string project, Uri loadBalancer, TimeSpan upTook)
    {
        Project = project;
        LoadBalancer = loadBalancer;
        UpTook = upTook;
    }

    public string Project { get; }

    /// <summary>The load balancer: the one address clients use.</summary>
    public Uri LoadBalancer { get; }

    /// <summary>How long <c>deploy/compose.sh up</c> took (image builds included).</summary>
    public TimeSpan UpTook { get; }

    /// <summary>The compose services of the replicas.</summary>
    public static IReadOnlyList<string> Replicas { get; } = ["api1", "api2", "api3"];

    private static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Fails in CI, skips elsewhere, without docker-compose (scripts/setup.sh: ensure_docker_compose).</summary>
    public static async Task RequireComposeAsync()
    {
        var found = await HostCommand.RunAsync("sh", ["-c", "command -v docker-compose"], TimeSpan.FromSeconds(10));
        if (found.Succeeded)
        {
            return;
        }

        const string problem = "docker-compose is missing (test.sh installs it: scripts/setup.sh ensure_docker_compose)";
        if (InCi)
        {
            Assert.Fail($"CI=true and {problem}");
        }

        Assert.Ignore(problem);
    }

    public static async Task<ComposeDeployment> UpAsync()
    {
        var project = $"ci-scale-{Guid.NewGuid().ToString("N")[..8]}";
        var started = DateTime.UtcNow;
        var result = await HostCommand.RunAsync(
            Path.Combine(PackagedImages.RepositoryRoot, "deploy", "compose.sh"), ["up"], UpTimeout, Settings(project), echo: TestContext.Progress);
        var deployment = new ComposeDeployment(project, new Uri(result.LastLine.StartsWith("http", StringComparison.Ordinal) ? result.LastLine : "http://127.0.0.1:1"), DateTime.UtcNow - started);
        if (!result.Succeeded)
        {
            await deployment.DownAsync();
            Assert.Fail($"deploy/compose.sh up failed: {result}");
        }

        await TestContext.Progress.WriteLineAsync($"[scale-out] {project} up at {deployment.LoadBalancer} in {deployment.UpTook.TotalSeconds:0} s");
        return deployment;
    }

    public async Task DownAsync()
    {
        var result = await HostCommand.RunAsync(
            Path.Combine(PackagedImages.RepositoryRoot, "deploy", "compose.sh"), ["down"], DownTimeout, Settings(Project), echo: TestContext.Progress);
        await TestContext.Progress.WriteLineAsync($"[scale-out] {Project} down: {(result.Succeeded ? "ok" : result.ToString())}");
    }

    /// <summary>The container of compose service <paramref name="service"/>.</summary>
    public Task<string> ContainerOfAsync(string service) => HostCommand.DockerOkAsync(
        TimeSpan.FromSeconds(30), "ps", "-q", "--no-trunc",
        "--filter", $"label=com.docker.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}");

    /// <summary>The replica's name in <c>X-Replica</c>: its host name, the first 12 characters of its container id.</summary>
    public async Task<string> ReplicaIdOfAsync(string service) => (await ContainerOfAsync(service))[..12];

    /// <summary><c>docker kill</c>: SIGKILL, no shutdown, as when a machine dies.</summary>
    public async Task KillAsync(string service) =>
        await HostCommand.DockerOkAsync(TimeSpan.FromSeconds(30), "kill", await ContainerOfAsync(service));

    /// <summary>
    /// The lines of each service's log (the replicas that still exist and the load balancer) that tell of a
    /// failure, the last <paramref name="max"/> of each: what a failed run needs to be explained.
    /// </summary>
    public async Task<string> FailureLogLinesAsync(int max = 30)
    {
        var report = new System.Text.StringBuilder();
        foreach (var service in Replicas.Append("lb"))
        {
            var container = await ContainerOfAsync(service);
            if (container.Length == 0)
            {
                continue;
            }

            var logs = await HostCommand.DockerAsync(TimeSpan.FromSeconds(30), "logs", container);
            var lines = (logs.Stdout + "\n" + logs.Stderr).Split('\n')
                .Where(line => line.Length > 0 && (service == "lb" // it logs only errors and state changes (haproxy.cfg)
                    || line.Contains("fail", StringComparison.OrdinalIgnoreCase)
                    || line.Contains("error", StringComparison.OrdinalIgnoreCase)
                    || line.Contains("exception", StringComparison.OrdinalIgnoreCase)
                    || line.Contains("abort", StringComparison.OrdinalIgnoreCase)))
                .TakeLast(max);
            foreach (var line in lines)
            {
                report.Append(service).Append(": ").AppendLine(line.Length > 400 ? line[..400] : line);
            }
        }

        return report.ToString();
    }

    private static Dictionary<string, string> Settings(string project) => new()
    {
        ["COMPOSE_PROJECT_NAME"] = project,
        ["LB_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXECUTOR_IMAGE"] = RealEngine.ExecutorImage,
        ["POOL_SIZE"] = "1",
        ["REPLICA_TIMEOUT_SEC"] = ReplicaTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EXECUTION_LEASE_SEC"] = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["POSTGRES_PASSWORD"] = Guid.NewGuid().ToString("N"),
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
