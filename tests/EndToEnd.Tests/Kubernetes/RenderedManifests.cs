using System.Text.Json.Nodes;
using CodeInterpreter.EndToEnd.Tests.Hosting;
using YamlDotNet.RepresentationModel;

namespace CodeInterpreter.EndToEnd.Tests.Kubernetes;

/// <summary>
/// What <c>kubectl kustomize</c> renders offline from one kustomization under deploy/kubernetes, as JSON
/// objects (one per rendered document), so tests read fields by path instead of matching text.
/// </summary>
internal sealed class RenderedManifests(IReadOnlyList<JsonObject> objects)
{
    private static readonly TimeSpan RenderTimeout = TimeSpan.FromSeconds(60);

    public IReadOnlyList<JsonObject> Objects { get; } = objects;

    /// <summary>Renders deploy/kubernetes/<paramref name="kustomization"/>; fails the test when kubectl does.</summary>
    public static async Task<RenderedManifests> RenderAsync(string kustomization)
    {
        var directory = Path.Combine(PackagedImages.RepositoryRoot, "deploy", "kubernetes", kustomization);
        CommandResult result;
        try
        {
            result = await HostCommand.RunAsync("kubectl", ["kustomize", directory], RenderTimeout);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            // test.sh installs Debian's kubectl; a run without it is not a pass.
            Assert.Fail($"kubectl is not installed (test.sh installs it): {ex.Message}");
            throw;
        }

        if (!result.Succeeded)
        {
            Assert.Fail($"kubectl kustomize {kustomization} failed: {result}");
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(result.Stdout));
        return new([.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()]);
    }

    /// <summary>The one object of <paramref name="kind"/>; fails the test unless there is exactly one.</summary>
    public JsonObject Single(string kind)
    {
        var matches = Objects.Where(o => (string?)o["kind"] == kind).ToList();
        matches.Should().ContainSingle($"the rendering holds one {kind}");
        return matches[0];
    }

    /// <summary>The Deployment's pod template spec.</summary>
    public JsonObject PodSpec => (JsonObject)Single("Deployment")["spec"]!["template"]!["spec"]!;

    /// <summary>The API container of the Deployment.</summary>
    public JsonObject Api => (JsonObject)PodSpec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "api")!;

    /// <summary>The API container's environment variable <paramref name="name"/>, or null.</summary>
    public JsonObject? Env(string name) =>
        Api["env"]?.AsArray().OfType<JsonObject>().SingleOrDefault(e => (string?)e["name"] == name);

    // Scalars stay strings, as YAML wrote them: "10" and 10 read alike, so tests compare text.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(
            pair => KeyValuePair.Create(((YamlScalarNode)pair.Key).Value!, ToJson(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => scalar.Value is null ? null : JsonValue.Create(scalar.Value),
        _ => null,
    };
}
