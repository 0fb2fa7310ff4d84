using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace CodeInterpreter.Api.Tests.Mcp;

/// <summary>The service as an MCP server at /mcp, driven by the official C# MCP client.</summary>
public sealed class McpServerTests : RealEngineApiTests
{
    // Below the tool's 30 s default: a call that names no timeout must still be accepted.
    private const int MaxExecTimeoutMs = 20_000;

    protected override IReadOnlyDictionary<string, string?>? Settings =>
        new Dictionary<string, string?> { ["MAX_EXEC_TIMEOUT_MS"] = MaxExecTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private async Task<McpClient> ConnectAsync()
    {
        var http = Factory.CreateClient();
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions { Endpoint = new Uri(http.BaseAddress!, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp },
            http, loggerFactory: null, ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, clientOptions: null, loggerFactory: null, CancellationToken.None);
    }

    [Test]
    public async Task A_client_lists_the_tools()
    {
        await using var client = await ConnectAsync();

        var tools = await client.ListToolsAsync(options: null, CancellationToken.None);

        tools.Select(t => t.Name).Should().Contain(["execute_python", "upload_file", "list_files", "delete_file"]);
        tools.Single(t => t.Name == "execute_python").Description.Should().Contain("sandbox");
    }

    [Test]
    public async Task Execute_python_answers_4_for_2_plus_2()
    {
        await using var client = await ConnectAsync();

        var result = await client.CallToolAsync(
            "execute_python", new Dictionary<string, object?> { ["code"] = "2 + 2" }, progress: null, options: null, CancellationToken.None);

        result.IsError.Should().NotBe(true);
        result.Content.OfType<TextContentBlock>().Single().Text.Should().StartWith("4\n");
    }

    [Test]
    public async Task Execute_python_without_a_timeout_runs_under_a_server_maximum_below_the_tools_default()
    {
        await using var client = await ConnectAsync();

        var result = await client.CallToolAsync(
            "execute_python", new Dictionary<string, object?> { ["code"] = "print('ran')" }, progress: null, options: null, CancellationToken.None);

        result.IsError.Should().NotBe(true, string.Join(" ", result.Content.OfType<TextContentBlock>().Select(t => t.Text)));
        result.Content.OfType<TextContentBlock>().Single().Text.Should().StartWith("ran\n");
    }

    [Test]
    public async Task A_figure_comes_back_as_image_content()
    {
        await using var client = await ConnectAsync();

        var result = await client.CallToolAsync(
            "execute_python",
            new Dictionary<string, object?> { ["code"] = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()", ["timeoutMs"] = MaxExecTimeoutMs },
            progress: null, options: null, CancellationToken.None);

        var image = result.Content.OfType<ImageContentBlock>().Should().ContainSingle().Subject;
        image.MimeType.Should().Be("image/png");
        image.DecodedData.ToArray().Should().StartWith([0x89, (byte)'P', (byte)'N', (byte)'G']);
    }

    [Test]
    public async Task A_displayed_table_is_text_content_a_displayed_image_is_image_content_and_usage_is_noted()
    {
        await using var client = await ConnectAsync();

        var result = await client.CallToolAsync(
            "execute_python",
            new Dictionary<string, object?>
            {
                ["code"] = "import pandas as pd\nfrom PIL import Image\ndisplay(pd.DataFrame({'a': [1]}))\ndisplay(Image.new('RGB', (2, 2)))",
                ["timeoutMs"] = MaxExecTimeoutMs,
            },
            progress: null, options: null, CancellationToken.None);

        var texts = result.Content.OfType<TextContentBlock>().Select(t => t.Text).ToList();
        texts.Should().HaveCount(2);
        texts[0].Should().Contain("[usage: cpu ");
        texts[1].Should().StartWith("[display_data text/html]\n<table");
        result.Content.OfType<ImageContentBlock>().Should().ContainSingle().Which.MimeType.Should().Be("image/png");
    }

    [Test]
    public async Task An_uploaded_file_is_used_by_execute_python()
    {
        await using var client = await ConnectAsync();
        var upload = await client.CallToolAsync(
            "upload_file",
            new Dictionary<string, object?> { ["filename"] = "n.txt", ["contentBase64"] = Convert.ToBase64String("21"u8.ToArray()) },
            progress: null, options: null, CancellationToken.None);
        var fileId = upload.Content.OfType<TextContentBlock>().Single().Text.Split(' ')[1];

        var result = await client.CallToolAsync(
            "execute_python",
            new Dictionary<string, object?>
            {
                ["code"] = "int(open('n.txt').read()) * 2",
                ["files"] = new[] { new Dictionary<string, string> { ["path"] = "n.txt", ["fileId"] = fileId } },
            },
            progress: null, options: null, CancellationToken.None);

        result.Content.OfType<TextContentBlock>().Single().Text.Should().StartWith("42\n");
    }
}
