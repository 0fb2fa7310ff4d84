using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace CodeInterpreter.Tests.Shared;

/// <summary>
/// A temporary wheelhouse (PACKAGE_WHEELHOUSE) holding the test packages of tests/Shared/TestPackages, built here
/// from their source folders: ci-alpha 1.0.0 (depends on ci-beta) and ci-beta 1.2.0 as pure-Python wheels,
/// ci-gamma 0.1.0 only as a source distribution. Nothing is fetched from anywhere.
/// </summary>
internal sealed class TestWheelhouse : IDisposable
{
    private TestWheelhouse(string path) => Path = path;

    /// <summary>The folder, readable by the sandbox user (the builder binds it read-only).</summary>
    public string Path { get; }

    public static TestWheelhouse Create()
    {
        var dir = Directory.CreateTempSubdirectory("ci-wheelhouse-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }

        var sources = SourcesFolder();
        WriteWheel(dir, System.IO.Path.Combine(sources, "ci_alpha"), "ci_alpha", "1.0.0");
        WriteWheel(dir, System.IO.Path.Combine(sources, "ci_beta"), "ci_beta", "1.2.0");
        WriteSdist(dir, System.IO.Path.Combine(sources, "ci_gamma"), "ci_gamma", "0.1.0");
        foreach (var file in Directory.EnumerateFiles(dir))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
            }
        }

        return new TestWheelhouse(dir);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);

    // A wheel (PEP 427): the package's files, then its .dist-info with METADATA, WHEEL and a RECORD of them all.
    private static void WriteWheel(string wheelhouse, string source, string distribution, string version)
    {
        var info = $"{distribution}-{version}.dist-info";
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = System.IO.Path.GetRelativePath(source, file).Replace('\\', '/');
            if (relative == "METADATA")
            {
                files[$"{info}/METADATA"] = File.ReadAllBytes(file);
            }
            else if (!relative.Contains("__pycache__", StringComparison.Ordinal))
            {
                files[relative] = File.ReadAllBytes(file);
            }
        }

        files[$"{info}/WHEEL"] = Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: codeinterpreter-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
        var record = new StringBuilder();
        foreach (var (name, bytes) in files)
        {
            var digest = Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append(name).Append(",sha256=").Append(digest).Append(',').Append(bytes.Length).Append('\n');
        }

        record.Append(info).Append("/RECORD,,\n");
        files[$"{info}/RECORD"] = Encoding.UTF8.GetBytes(record.ToString());

        using var zip = ZipFile.Open(System.IO.Path.Combine(wheelhouse, $"{distribution}-{version}-py3-none-any.whl"), ZipArchiveMode.Create);
        foreach (var (name, bytes) in files)
        {
            using var entry = zip.CreateEntry(name).Open();
            entry.Write(bytes);
        }
    }

    // A source distribution (PEP 625): name-version/ with the project's files and PKG-INFO, gzipped tar.
    private static void WriteSdist(string wheelhouse, string source, string distribution, string version)
    {
        var root = $"{distribution}-{version}";
        using var file = File.Create(System.IO.Path.Combine(wheelhouse, $"{root}.tar.gz"));
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var path in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = System.IO.Path.GetRelativePath(source, path).Replace('\\', '/');
            if (!relative.Contains("__pycache__", StringComparison.Ordinal))
            {
                tar.WriteEntry(path, $"{root}/{relative}");
            }
        }

        var pkgInfo = Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {distribution.Replace('_', '-')}\nVersion: {version}\n");
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{root}/PKG-INFO") { DataStream = new MemoryStream(pkgInfo), Mode = (UnixFileMode)0b110_100_100 });
    }

    private static string SourcesFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "Shared", "TestPackages");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Shared/TestPackages was not found above the test assembly");
    }
}
