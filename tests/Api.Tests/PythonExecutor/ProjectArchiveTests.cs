using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using CodeInterpreter.Api.PythonExecutor;
using CodeInterpreter.Application.Common.Exceptions;
using CodeInterpreter.Application.Common.Options;

namespace CodeInterpreter.Api.Tests.PythonExecutor;

/// <summary>Reading a python-executor project tar: formats, what is skipped, what is refused and the limits.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ProjectArchiveTests
{
    private static readonly ExecutionOptions Limits = new() { MaxFilesPerExecution = 5, MaxFilesMbPerExecution = 1 };

    [TestCase(TarEntryFormat.Ustar)]
    [TestCase(TarEntryFormat.Pax)]
    [TestCase(TarEntryFormat.Gnu)]
    [TestCase(TarEntryFormat.V7)]
    public async Task Reads_nested_files_in_every_format_with_or_without_directory_entries(TarEntryFormat format)
    {
        var tar = Tar(format, w =>
        {
            AddDirectory(w, format, "pkg/");
            AddFile(w, format, "pkg/util.py", "X = 1\n");
            AddFile(w, format, "main.py", "from pkg.util import X\n");
            AddFile(w, format, "deep/er/data.bin", "\0\u0001");
        });

        var files = await ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None);

        files.Select(f => (f.Path.Value, Encoding.UTF8.GetString(f.Content.Span))).Should().BeEquivalentTo(
            [("pkg/util.py", "X = 1\n"), ("main.py", "from pkg.util import X\n"), ("deep/er/data.bin", "\0\u0001")]);
    }

    /// <summary>Written the way python-executor's Python client writes its tar: tarfile, mode 0644, mtime 0, no directory entries.</summary>
    [TestCase("PAX_FORMAT")]
    [TestCase("GNU_FORMAT")]
    [TestCase("USTAR_FORMAT")]
    public async Task Reads_a_tar_written_by_python_tarfile(string format)
    {
        const string script = """
            import io, sys, tarfile
            out = io.BytesIO()
            with tarfile.open(fileobj=out, mode="w", format=getattr(tarfile, sys.argv[1])) as tar:
                for name, text in [("main.py", "import lib.helpers\n"), ("lib/helpers.py", "N = 'é'\n")]:
                    data = text.encode()
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = len(data), 0o644, 0
                    tar.addfile(info, io.BytesIO(data))
            sys.stdout.write(out.getvalue().hex())
            """;
        var (exitCode, output, error) = await ChildProcess.RunAsync(
            new ProcessStartInfo("python3", ["-c", script, format]), TimeSpan.FromSeconds(30), "python3 tarfile");
        exitCode.Should().Be(0, error);

        var files = await ProjectArchive.ReadAsync(new MemoryStream(Convert.FromHexString(output)), Limits, CancellationToken.None);

        files.Select(f => (f.Path.Value, Encoding.UTF8.GetString(f.Content.Span))).Should().BeEquivalentTo(
            [("main.py", "import lib.helpers\n"), ("lib/helpers.py", "N = 'é'\n")]);
    }

    [Test]
    public async Task Reads_names_longer_than_ustar_allows_from_pax_and_gnu()
    {
        var name = string.Join('/', Enumerable.Repeat("folder", 20)) + "/m.py";
        foreach (var format in new[] { TarEntryFormat.Pax, TarEntryFormat.Gnu })
        {
            var files = await ProjectArchive.ReadAsync(Tar(format, w => AddFile(w, format, name, "ok")), Limits, CancellationToken.None);
            files.Should().ContainSingle().Which.Path.Value.Should().Be(name);
        }
    }

    [Test]
    public async Task Drops_leading_dot_slash_and_skips_the_root_entry()
    {
        var tar = Tar(TarEntryFormat.Pax, w =>
        {
            AddDirectory(w, TarEntryFormat.Pax, "./");
            AddFile(w, TarEntryFormat.Pax, "./main.py", "print(1)");
        });

        var files = await ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None);

        files.Should().ContainSingle().Which.Path.Value.Should().Be("main.py");
    }

    [TestCase(TarEntryType.SymbolicLink)]
    [TestCase(TarEntryType.HardLink)]
    [TestCase(TarEntryType.CharacterDevice)]
    [TestCase(TarEntryType.BlockDevice)]
    [TestCase(TarEntryType.Fifo)]
    public async Task Never_materialises_links_devices_or_fifos(TarEntryType type)
    {
        var tar = Tar(TarEntryFormat.Ustar, w =>
        {
            var entry = new UstarTarEntry(type, "evil");
            if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
            {
                entry.LinkName = "/etc/passwd";
            }

            w.WriteEntry(entry);
            AddFile(w, TarEntryFormat.Ustar, "main.py", "print(1)");
        });

        var files = await ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None);

        files.Select(f => f.Path.Value).Should().Equal("main.py");
    }

    [TestCase("../escape.py", "'..'")]
    [TestCase("pkg/../../escape.py", "'..'")]
    [TestCase("/etc/cron.d/x", "absolute")]
    public async Task Refuses_names_outside_the_workspace(string name, string reason)
    {
        var tar = Tar(TarEntryFormat.Pax, w => AddFile(w, TarEntryFormat.Pax, name, "x"));

        var refusal = await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None))
            .Should().ThrowAsync<RequestValidationException>();

        refusal.Which.Message.Should().Contain(name).And.Contain(reason);
    }

    [Test]
    public async Task Refuses_a_name_that_is_a_file_and_a_folder()
    {
        var tar = Tar(TarEntryFormat.Pax, w =>
        {
            AddFile(w, TarEntryFormat.Pax, "a", "x");
            AddFile(w, TarEntryFormat.Pax, "a/b.py", "y");
        });

        await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None))
            .Should().ThrowAsync<RequestValidationException>().WithMessage("*'a' is a file and also the folder of 'a/b.py'*");
    }

    [Test]
    public async Task A_later_entry_of_the_same_name_replaces_the_earlier()
    {
        var tar = Tar(TarEntryFormat.Pax, w =>
        {
            AddFile(w, TarEntryFormat.Pax, "main.py", "old");
            AddFile(w, TarEntryFormat.Pax, "main.py", "new");
        });

        var files = await ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None);

        files.Should().ContainSingle().Which.Content.ToArray().Should().Equal(Encoding.UTF8.GetBytes("new"));
    }

    [Test]
    public async Task More_files_than_one_execution_may_carry_is_413_naming_the_limit()
    {
        var tar = Tar(TarEntryFormat.Pax, w =>
        {
            for (var i = 0; i < 6; i++)
            {
                AddFile(w, TarEntryFormat.Pax, $"f{i}.py", "x");
            }
        });

        await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None))
            .Should().ThrowAsync<PayloadTooLargeException>().WithMessage("tar holds more than 5 files, the maximum per execution");
    }

    [Test]
    public async Task More_bytes_than_one_execution_may_carry_is_413_naming_the_limit()
    {
        var tar = Tar(TarEntryFormat.Pax, w =>
        {
            AddFile(w, TarEntryFormat.Pax, "a.bin", new string('a', 600 * 1024));
            AddFile(w, TarEntryFormat.Pax, "b.bin", new string('b', 600 * 1024));
        });

        await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(tar, Limits, CancellationToken.None))
            .Should().ThrowAsync<PayloadTooLargeException>().WithMessage("tar contents exceed maximum of 1 MB per execution");
    }

    [Test]
    public async Task Reads_from_a_stream_that_cannot_seek()
    {
        var bytes = Tar(TarEntryFormat.Gnu, w => AddFile(w, TarEntryFormat.Gnu, "main.py", "print(1)")).ToArray();
        using var pipe = new ForwardOnlyStream(bytes);

        var files = await ProjectArchive.ReadAsync(pipe, Limits, CancellationToken.None);

        files.Should().ContainSingle().Which.Path.Value.Should().Be("main.py");
    }

    [Test]
    public async Task Garbage_or_a_truncated_archive_is_refused_as_not_a_tar()
    {
        var garbage = new MemoryStream(Encoding.ASCII.GetBytes(new string('z', 1024)));
        await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(garbage, Limits, CancellationToken.None))
            .Should().ThrowAsync<RequestValidationException>().WithMessage("tar *");

        var whole = Tar(TarEntryFormat.Pax, w => AddFile(w, TarEntryFormat.Pax, "main.py", new string('p', 4000))).ToArray();
        var truncated = new MemoryStream(whole[..1500]);
        await FluentActions.Awaiting(() => ProjectArchive.ReadAsync(truncated, Limits, CancellationToken.None))
            .Should().ThrowAsync<RequestValidationException>().WithMessage("tar *");
    }

    private static MemoryStream Tar(TarEntryFormat format, Action<TarWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, format, leaveOpen: true))
        {
            write(writer);
        }

        stream.Position = 0;
        return stream;
    }

    private static void AddFile(TarWriter writer, TarEntryFormat format, string name, string content)
    {
        var entry = NewEntry(format, format == TarEntryFormat.V7 ? TarEntryType.V7RegularFile : TarEntryType.RegularFile, name);
        entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        writer.WriteEntry(entry);
    }

    private static void AddDirectory(TarWriter writer, TarEntryFormat format, string name) =>
        writer.WriteEntry(NewEntry(format, TarEntryType.Directory, name));

    private static TarEntry NewEntry(TarEntryFormat format, TarEntryType type, string name) => format switch
    {
        TarEntryFormat.Ustar => new UstarTarEntry(type, name),
        TarEntryFormat.Pax => new PaxTarEntry(type, name),
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        _ => new V7TarEntry(type, name),
    };

    /// <summary>A request body: read forwards only, no length, no seeking.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 100));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
