using System.Globalization;
using System.Text.Json.Nodes;

namespace CodeInterpreter.EndToEnd.Tests.Kubernetes;

/// <summary>
/// The kustomize base, overlays and components under deploy/kubernetes, rendered offline with
/// <c>kubectl kustomize</c> (there is no cluster here) and checked for what a deployment relies on.
/// </summary>
[TestFixture]
public sealed class KubernetesManifestsTests
{
    private static readonly string[] Deployable = ["overlays/dind", "overlays/dood", "examples/dind-gvisor", "examples/dood-gvisor-pods"];

    [TestCaseSource(nameof(Deployable))]
    public async Task Every_deployment_probes_the_service_s_own_endpoints(string kustomization)
    {
        var rendered = await RenderedManifests.RenderAsync(kustomization);

        var api = rendered.Api;
        ((string?)api["readinessProbe"]!["httpGet"]!["path"]).Should().Be("/health/ready");
        ((string?)api["livenessProbe"]!["httpGet"]!["path"]).Should().Be("/health");
        ((string?)api["startupProbe"]!["httpGet"]!["path"]).Should().Be("/health");
        ((string?)api["ports"]![0]!["containerPort"]).Should().Be("8000");
    }

    [TestCaseSource(nameof(Deployable))]
    public async Task Every_deployment_lets_a_stopping_replica_drain(string kustomization)
    {
        var rendered = await RenderedManifests.RenderAsync(kustomization);

        var preStop = rendered.Api["lifecycle"]!["preStop"]!["exec"]!["command"]!.AsArray().Select(c => (string?)c).ToList();
        preStop.Should().HaveCount(2).And.StartWith("sleep");
        var preStopSeconds = int.Parse(preStop[1]!, CultureInfo.InvariantCulture);
        var grace = int.Parse((string)rendered.PodSpec["terminationGracePeriodSeconds"]!, CultureInfo.InvariantCulture);
        // After preStop the service gets SIGTERM and waits up to 30 s (the host's shutdown timeout).
        grace.Should().BeGreaterThanOrEqualTo(preStopSeconds + 30);
    }

    [TestCaseSource(nameof(Deployable))]
    public async Task Every_deployment_takes_the_database_from_a_secret_and_names_each_replica(string kustomization)
    {
        var rendered = await RenderedManifests.RenderAsync(kustomization);

        var database = rendered.Env("DATABASE_URL")!;
        database["value"].Should().BeNull("the URL holds a password");
        ((string?)database["valueFrom"]!["secretKeyRef"]!["name"]).Should().Be("code-interpreter-database");
        ((string?)rendered.Env("REPLICA_ID")!["valueFrom"]!["fieldRef"]!["fieldPath"]).Should().Be("metadata.name");
        ((string?)rendered.Env("POD_IP")!["valueFrom"]!["fieldRef"]!["fieldPath"]).Should().Be("status.podIP");
        ((string?)rendered.Env("REPLICA_URL")!["value"]).Should().Be("http://$(POD_IP):8000");
    }

    [TestCaseSource(nameof(Deployable))]
    public async Task The_service_the_budget_and_the_autoscaler_select_the_deployment_s_pods(string kustomization)
    {
        var rendered = await RenderedManifests.RenderAsync(kustomization);

        var deployment = rendered.Single("Deployment");
        var podLabels = Labels(deployment["spec"]!["template"]!["metadata"]!["labels"]);
        podLabels.Should().NotBeEmpty();
        Labels(rendered.Single("Service")["spec"]!["selector"]).Should().NotBeEmpty().And.BeSubsetOf(podLabels);
        Labels(rendered.Single("PodDisruptionBudget")["spec"]!["selector"]!["matchLabels"]).Should().NotBeEmpty().And.BeSubsetOf(podLabels);
        ((string?)rendered.Single("PodDisruptionBudget")["spec"]!["maxUnavailable"]).Should().Be("1");

        var autoscaler = rendered.Single("HorizontalPodAutoscaler")["spec"]!;
        ((string?)autoscaler["scaleTargetRef"]!["kind"]).Should().Be("Deployment");
        ((string?)autoscaler["scaleTargetRef"]!["name"]).Should().Be((string?)deployment["metadata"]!["name"]);
        var metric = autoscaler["metrics"]!.AsArray().Single()!["resource"]!;
        ((string?)metric["name"]).Should().Be("cpu");
        ((string?)metric["target"]!["type"]).Should().Be("Utilization");
    }

    [Test]
    public async Task The_dind_overlay_runs_a_privileged_pod_with_the_engine_s_data_on_an_empty_dir()
    {
        var rendered = await RenderedManifests.RenderAsync("overlays/dind");

        ((string?)rendered.Api["securityContext"]!["privileged"]).Should().Be("true");
        var mount = rendered.Api["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/var/lib/docker")!;
        var volume = rendered.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
        volume["emptyDir"].Should().NotBeNull();
        ((string?)rendered.Api["image"]).Should().Be("code-interpreter:latest");
        rendered.PodSpec["runtimeClassName"].Should().BeNull();
    }

    [Test]
    public async Task The_dood_overlay_mounts_the_node_s_socket_unprivileged_with_a_sandbox_instance_per_pod()
    {
        var rendered = await RenderedManifests.RenderAsync("overlays/dood");

        rendered.Api["securityContext"]?["privileged"].Should().BeNull();
        var mount = rendered.Api["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/var/run/docker.sock")!;
        var volume = rendered.PodSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
        ((string?)volume["hostPath"]!["type"]).Should().Be("Socket");
        ((string?)rendered.Env("SANDBOX_INSTANCE")!["valueFrom"]!["fieldRef"]!["fieldPath"]).Should().Be("metadata.name");
        ((string?)rendered.Api["image"]).Should().Be("code-interpreter:dood");
    }

    [Test]
    public async Task The_gvisor_components_run_sandboxes_under_runsc_and_the_dood_pod_under_the_runtime_class()
    {
        var dind = await RenderedManifests.RenderAsync("examples/dind-gvisor");
        var dood = await RenderedManifests.RenderAsync("examples/dood-gvisor-pods");

        ((string?)dind.Env("EXECUTOR_RUNTIME")!["value"]).Should().Be("runsc");
        dind.PodSpec["runtimeClassName"].Should().BeNull("a privileged DinD pod cannot run under gVisor");
        ((string?)dood.Env("EXECUTOR_RUNTIME")!["value"]).Should().Be("runsc");
        ((string?)dood.PodSpec["runtimeClassName"]).Should().Be("gvisor");
    }

    private static Dictionary<string, string?> Labels(JsonNode? node) =>
        node is JsonObject labels ? labels.ToDictionary(l => l.Key, l => (string?)l.Value) : [];
}
