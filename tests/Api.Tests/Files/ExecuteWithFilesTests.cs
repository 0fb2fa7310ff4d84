using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CodeInterpreter.Tests.Shared;

namespace CodeInterpreter.Api.Tests.Files;

/// <summary>Files in and out of executions, on the real engine, through the HTTP pipeline.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ExecuteWithFilesTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private string _storage = null!;
    private ApiFactory _factory = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await RealEngine.RequireAsync();
        _storage = Directory.CreateTempSubdirectory("ci-exec-files-").FullName;
        _factory = new ApiFactory(new Dictionary<string, string?>
        {
            ["FILE_STORAGE_DIR"] = _storage,
            ["MAX_FILES_PER_EXECUTION"] = "20",
        });
        _client = await _factory.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_storage is not null)
        {
            Directory.Delete(_storage, recursive: true);
        }
    }

    private static JsonElement[] Entries(JsonElement body) => [.. body.GetProperty("files").EnumerateArray()];

    private static JsonElement FileEntry(JsonElement body, string path) =>
        Entries(body).Single(e => e.GetProperty("path").GetString() == path);

    [Test]
    public async Task An_uploaded_csv_is_read_by_pandas()
    {
        var id = await _client.UploadFileAsync(Encoding.UTF8.GetBytes("a,b\n1,2\n3,4\n"), "data.csv");

        var (status, body) = await _client.PostExecuteAsync(new
        {
            code = "import pandas as pd\ndf = pd.read_csv('data.csv')\nprint(int(df.a.sum()), int(df.b.sum()))",
            files = new[] { new { path = "data.csv", file_id = id } },
            timeout_ms = 20_000,
        });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("4 6\n");
        Entries(body).Should().BeEmpty("an unchanged input is not returned");
    }

    [Test]
    public async Task A_saved_matplotlib_figure_comes_back_as_a_downloadable_png()
    {
        var (_, body) = await _client.PostExecuteAsync(new
        {
            code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.savefig('plot.png')",
            timeout_ms = 30_000,
        });

        body.GetProperty("exit_code").GetInt32().Should().Be(0, body.GetProperty("stderr").GetString());
        var png = FileEntry(body, "plot.png");
        png.GetProperty("kind").GetString().Should().Be("file");
        var bytes = await _client.DownloadFileAsync(png.GetProperty("file_id").GetString()!);
        bytes.Should().StartWith(PngSignature);
        png.GetProperty("size_bytes").GetInt64().Should().Be(bytes.Length);
    }

    [Test]
    public async Task Figures_shown_with_plt_show_come_back_as_pngs_without_being_saved()
    {
        var (_, body) = await _client.PostExecuteAsync(new
        {
            code = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nplt.figure()\nplt.bar(['a', 'b'], [3, 4])\nplt.show()",
            timeout_ms = 30_000,
        });

        body.GetProperty("exit_code").GetInt32().Should().Be(0, body.GetProperty("stderr").GetString());
        body.GetProperty("stderr").GetString().Should().NotContain("non-interactive", "show() is handled, not warned about");
        foreach (var name in new[] { "figure_1.png", "figure_2.png" })
        {
            var bytes = await _client.DownloadFileAsync(FileEntry(body, name).GetProperty("file_id").GetString()!);
            bytes.Should().StartWith(PngSignature);
        }
    }

    [Test]
    public async Task Binary_files_keep_every_byte_in_and_out_including_a_5_mb_file()
    {
        var small = RandomNumberGenerator.GetBytes(70_001);
        var large = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        var smallId = await _client.UploadFileAsync(small, "small.bin");
        var largeId = await _client.UploadFileAsync(large, "large.bin");

        var (_, body) = await _client.PostExecuteAsync(new
        {
            code = "import os, shutil\nos.makedirs('out')\nshutil.copy('in/small.bin', 'out/small.bin')\nshutil.copy('in/deep/large.bin', 'out/large.bin')",
            files = new[] { new { path = "in/small.bin", file_id = smallId }, new { path = "in/deep/large.bin", file_id = largeId } },
            timeout_ms = 30_000,
        });

        body.GetProperty("exit_code").GetInt32().Should().Be(0, body.GetProperty("stderr").GetString());
        (await _client.DownloadFileAsync(FileEntry(body, "out/small.bin").GetProperty("file_id").GetString()!)).Should().Equal(small);
        (await _client.DownloadFileAsync(FileEntry(body, "out/large.bin").GetProperty("file_id").GetString()!)).Should().Equal(large);
    }

    [Test]
    public async Task Nested_outputs_list_their_new_directories()
    {
        var (_, body) = await _client.PostExecuteAsync(new
        {
            code = "import os\nos.makedirs('out/a/b')\nopen('out/a/b/c.txt', 'w').write('deep')",
        });

        var entries = Entries(body).Select(e => (e.GetProperty("path").GetString(), e.GetProperty("kind").GetString())).ToList();
        entries.Should().Contain([("out/a/b/c.txt", "file"), ("out", "directory"), ("out/a", "directory"), ("out/a/b", "directory")]);
        Entries(body).Where(e => e.GetProperty("kind").GetString() == "directory")
            .Should().OnlyContain(e => e.GetProperty("file_id").ValueKind == JsonValueKind.Null);
    }

    [Test]
    public async Task An_overwritten_input_comes_back_as_its_new_version()
    {
        var keptId = await _client.UploadFileAsync("kept"u8.ToArray(), "kept.txt");
        var changedId = await _client.UploadFileAsync("old"u8.ToArray(), "changed.txt");

        var (_, body) = await _client.PostExecuteAsync(new
        {
            code = "open('changed.txt', 'w').write('new')",
            files = new[] { new { path = "kept.txt", file_id = keptId }, new { path = "changed.txt", file_id = changedId } },
        });

        var changed = Entries(body).Should().ContainSingle().Subject;
        changed.GetProperty("path").GetString().Should().Be("changed.txt");
        changed.GetProperty("file_id").GetString().Should().NotBe(changedId);
        (await _client.DownloadFileAsync(changed.GetProperty("file_id").GetString()!)).Should().Equal("new"u8.ToArray());
        (await _client.DownloadFileAsync(changedId)).Should().Equal("old"u8.ToArray(), "the upload itself is unchanged");
    }

    [Test]
    public async Task Hostile_symlinks_and_huge_trees_return_neither_host_content_nor_more_than_the_bound()
    {
        var (status, body) = await _client.PostExecuteAsync(new
        {
            code = "import os\n" +
                   "os.symlink('/etc/passwd', 'passwd')\n" +
                   "os.symlink('/etc', 'etc')\n" +
                   "os.makedirs('tree')\n" +
                   "for i in range(10_000):\n" +
                   "    open(f'tree/f{i}.txt', 'w').write('x')\n" +
                   "print('done')",
            timeout_ms = 60_000,
        });

        status.Should().Be(200);
        body.GetProperty("stdout").GetString().Should().Be("done\n");
        var files = Entries(body).Where(e => e.GetProperty("kind").GetString() == "file").ToList();
        files.Should().HaveCount(20, "MAX_FILES_PER_EXECUTION bounds what comes back");
        files.Select(e => e.GetProperty("path").GetString()).Should().NotContain(["passwd", "etc"]);
        files.Should().OnlyContain(e => e.GetProperty("path").GetString()!.StartsWith("tree/", StringComparison.Ordinal));
        body.GetProperty("files_dropped").GetArrayLength().Should().BeGreaterThan(0, "the response says what was dropped");
        foreach (var file in files.Take(3))
        {
            (await _client.DownloadFileAsync(file.GetProperty("file_id").GetString()!)).Should().Equal("x"u8.ToArray());
        }

        var (afterStatus, after) = await _client.PostExecuteAsync(new { code = "print('healthy')" });
        afterStatus.Should().Be(200);
        after.GetProperty("stdout").GetString().Should().Be("healthy\n");
    }

    [Test]
    public async Task A_file_id_that_does_not_exist_answers_404()
    {
        var (status, body) = await _client.PostExecuteAsync(new
        {
            code = "print(1)",
            files = new[] { new { path = "x.csv", file_id = "0123456789abcdef0123456789abcdef" } },
        });

        status.Should().Be(404);
        body.GetProperty("detail").GetString().Should().Be("File with ID '0123456789abcdef0123456789abcdef' not found");
    }
}
