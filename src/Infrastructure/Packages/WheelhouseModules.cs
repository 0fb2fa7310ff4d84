using System.IO.Compression;
using CodeInterpreter.Domain.Packages;

namespace CodeInterpreter.Infrastructure.Packages;

/// <summary>
/// Which distribution of a wheelhouse provides each top-level module: from each wheel's <c>top_level.txt</c>, else
/// the top-level names of its files; a source distribution is taken to provide the module of its own name. Read
/// again whenever the folder's listing changes. The wheels are the operator's, read as untrusted zip files.
/// </summary>
internal sealed class WheelhouseModules
{
    private const int MaxTopLevelBytes = 64 * 1024;

    private readonly Lock _gate = new();
    private string? _listing;
    private IReadOnlyDictionary<string, string> _modules = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Read(string wheelhouse)
    {
        var files = Directory.EnumerateFiles(wheelhouse).Order(StringComparer.Ordinal).ToList();
        var listing = string.Join('\n', files.Select(f => $"{f}\t{File.GetLastWriteTimeUtc(f).Ticks}"));
        lock (_gate)
        {
            if (listing != _listing)
            {
                _modules = Scan(files);
                _listing = listing;
            }

            return _modules;
        }
    }

    private static Dictionary<string, string> Scan(IEnumerable<string> files)
    {
        var modules = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var distribution = Requirement.Canonical(name.Split('-')[0]);
            if (name.EndsWith(".whl", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var module in WheelModules(file))
                {
                    modules.TryAdd(module, distribution);
                }
            }
            else if (name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            {
                modules.TryAdd(name.Split('-')[0].Replace('-', '_').Replace('.', '_'), distribution);
            }
        }

        return modules;
    }

    private static IEnumerable<string> WheelModules(string wheel)
    {
        try
        {
            using var zip = ZipFile.OpenRead(wheel);
            var topLevel = zip.Entries.FirstOrDefault(e =>
                e.FullName.EndsWith(".dist-info/top_level.txt", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1);
            if (topLevel is not null && topLevel.Length <= MaxTopLevelBytes)
            {
                using var reader = new StreamReader(topLevel.Open());
                return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(IsModuleName)];
            }

            return
            [
                .. zip.Entries.Select(e => e.FullName.Split('/')[0])
                    .Where(first => !first.EndsWith(".dist-info", StringComparison.Ordinal) && !first.EndsWith(".data", StringComparison.Ordinal))
                    .Select(first => first.EndsWith(".py", StringComparison.Ordinal) ? first[..^3] : first)
                    .Where(IsModuleName)
                    .Distinct(StringComparer.Ordinal),
            ];
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return []; // not a readable wheel: pip will say so if it is asked for
        }
    }

    private static bool IsModuleName(string name) =>
        name.Length is > 0 and <= 100 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
