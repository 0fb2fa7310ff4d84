using System.Text;
using CodeInterpreter.EndToEnd.Tests.Client;

namespace CodeInterpreter.EndToEnd.Tests.Deployment;

/// <summary>
/// What every deployment must do for a client: take an uploaded file into an execution, run
/// Python that reads it and draws a matplotlib PNG, and hand the PNG back for download.
/// </summary>
internal static class FileAndPlotScenario
{
    private const string Code = """
        import csv
        import matplotlib.pyplot as plt
        with open("data/values.csv") as f:
            rows = list(csv.DictReader(f))
        xs = [int(r["x"]) for r in rows]
        ys = [int(r["y"]) for r in rows]
        plt.plot(xs, ys)
        plt.savefig("plot.png")
        print(sum(ys))
        """;

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static async Task RunAsync(CodeInterpreterClient client)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var upload = await client.UploadFileAsync("values.csv", Encoding.UTF8.GetBytes("x,y\n1,2\n2,4\n3,9\n"));

        var result = await client.ExecuteAsync(new ExecuteRequest(
            Code, [new ExecuteFileReference("data/values.csv", upload.FileId)], TimeoutMs: 30_000));

        result.Stderr.Should().BeEmpty();
        result.ExitCode.Should().Be(0);
        result.Stdout.Should().Be("15\n");
        var plot = result.Files.Should().ContainSingle(f => f.Path == "plot.png").Subject;
        plot.Kind.Should().Be("file");
        plot.FileId.Should().NotBeNullOrEmpty();
        var png = await client.DownloadFileAsync(plot.FileId!);
        png.Length.Should().Be((int)plot.SizeBytes!.Value);
        png.Take(PngSignature.Length).Should().Equal(PngSignature);
        await TestContext.Progress.WriteLineAsync($"[e2e] upload, execution and download took {started.Elapsed.TotalSeconds:0.0} s");
    }
}
